// xfollow.hpp: a header-only C++17 wrapper of libxfollow's C ABI (xfollow.h).
//
//   #include <xfollow.hpp>
//
//   auto client = xfollow::Client::oauth1(consumer_key, consumer_secret, access_token,
//                                         access_token_secret);
//   xfollow::FollowResult r = client.follow("783214");   // r.state == FollowState::following
//
// - Handles are RAII and move-only: a Client owns one x_client (freed by its destructor),
//   as OAuth2PKCE, OAuth1Flow, OAuth1RequestToken and RedirectReceiver own theirs;
//   configurations, results, users and token sets are freed before the call that made them
//   returns, and come back as plain values that own their data.
// - Getting a user's token: OAuth2PKCE with a RedirectReceiver (OAuth 2.0), OAuth1Flow
//   (OAuth 1.0a, PIN or callback); Client::oauth2_refreshing keeps an OAuth 2.0 token set
//   alive. Tokens, secrets, code verifiers, codes and PINs are xfollow::Secret: wiped when
//   destroyed, printed as "Secret(<redacted>)".
// - Every failure throws an xfollow::Error (derived from std::runtime_error), or the
//   subclass for its code (NotFound, RateLimited, ...), carrying the library's one-line
//   message (never a secret), the code, the HTTP status, the API's problem fields, the
//   body's errors[] entries and the rate-limit windows.
// - A Client is immutable and thread-safe: call its const methods from many threads at once.
//   Do not destroy or move it while calls are running.
//
// Link with -lxfollow (pkg-config --cflags --libs xfollow).
#ifndef XFOLLOW_HPP
#define XFOLLOW_HPP

#include "xfollow.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xfollow {

// The x_result codes (stable numbers, see X_ERR_* in xfollow.h).
enum class ErrorCode : int {
    ok = 0,  // X_SUCCESS
    invalid_argument = X_ERR_INVALID_ARGUMENT,
    unauthorized = X_ERR_UNAUTHORIZED,
    forbidden = X_ERR_FORBIDDEN,
    not_found = X_ERR_NOT_FOUND,
    rate_limited = X_ERR_RATE_LIMITED,
    network = X_ERR_NETWORK,
    timeout = X_ERR_TIMEOUT,
    tls = X_ERR_TLS,
    server = X_ERR_SERVER,
    protocol = X_ERR_PROTOCOL,
    api = X_ERR_API,
    panic = X_ERR_PANIC,
    quota_exhausted = X_ERR_QUOTA_EXHAUSTED,
    quota_store = X_ERR_QUOTA_STORE,
    cancelled = X_ERR_CANCELLED,
    token_store = X_ERR_TOKEN_STORE,
};

// The C name of a code ("X_ERR_NOT_FOUND"), "X_ERR_UNKNOWN" for codes added later.
inline const char *code_name(ErrorCode code) noexcept {
    switch (code) {
    case ErrorCode::ok: return "X_SUCCESS";
    case ErrorCode::invalid_argument: return "X_ERR_INVALID_ARGUMENT";
    case ErrorCode::unauthorized: return "X_ERR_UNAUTHORIZED";
    case ErrorCode::forbidden: return "X_ERR_FORBIDDEN";
    case ErrorCode::not_found: return "X_ERR_NOT_FOUND";
    case ErrorCode::rate_limited: return "X_ERR_RATE_LIMITED";
    case ErrorCode::network: return "X_ERR_NETWORK";
    case ErrorCode::timeout: return "X_ERR_TIMEOUT";
    case ErrorCode::tls: return "X_ERR_TLS";
    case ErrorCode::server: return "X_ERR_SERVER";
    case ErrorCode::protocol: return "X_ERR_PROTOCOL";
    case ErrorCode::api: return "X_ERR_API";
    case ErrorCode::panic: return "X_ERR_PANIC";
    case ErrorCode::quota_exhausted: return "X_ERR_QUOTA_EXHAUSTED";
    case ErrorCode::quota_store: return "X_ERR_QUOTA_STORE";
    case ErrorCode::cancelled: return "X_ERR_CANCELLED";
    case ErrorCode::token_store: return "X_ERR_TOKEN_STORE";
    }
    return "X_ERR_UNKNOWN";
}

// The library's static text for a code ("not found").
inline const char *code_text(ErrorCode code) noexcept { return x_result_str(static_cast<x_result>(code)); }

// One rate-limit window as the API sent it.
struct RateLimitWindow {
    std::uint64_t limit = 0;      // requests allowed in the window
    std::uint64_t remaining = 0;  // requests left
    std::uint64_t reset = 0;      // Unix time (seconds) at which the window resets
    bool operator==(const RateLimitWindow &o) const noexcept {
        return limit == o.limit && remaining == o.remaining && reset == o.reset;
    }
    bool operator!=(const RateLimitWindow &o) const noexcept { return !(*this == o); }
};

// Every window one response carried; a window is empty when absent.
struct RateLimit {
    std::optional<RateLimitWindow> endpoint;  // x-rate-limit-*: the endpoint's 15-minute window
    std::optional<RateLimitWindow> user_24h;  // x-user-limit-24hour-*: the user's 24-hour window
    std::optional<RateLimitWindow> app_24h;   // x-app-limit-24hour-*: the app's 24-hour window

    bool empty() const noexcept { return !endpoint && !user_24h && !app_24h; }
    // The latest reset among the exhausted windows (remaining == 0), if any.
    std::optional<std::uint64_t> binding_reset() const noexcept {
        std::optional<std::uint64_t> latest;
        for (const auto *w : {&endpoint, &user_24h, &app_24h})
            if (*w && (*w)->remaining == 0 && (!latest || (*w)->reset > *latest)) latest = (*w)->reset;
        return latest;
    }
};

// One entry of an errors[] array: a legacy numeric code (88, 89, 135...) and a message.
struct ApiErrorEntry {
    std::optional<std::int64_t> code;
    std::optional<std::string> message;
    bool operator==(const ApiErrorEntry &o) const { return code == o.code && message == o.message; }
};

enum class FollowState : int {
    not_following = X_STATE_NOT_FOLLOWING,
    following = X_STATE_FOLLOWING,
    pending = X_STATE_PENDING,  // a protected account has a request to approve
};

// The outcome of Client::follow and Client::unfollow.
struct FollowResult {
    bool following = false;       // data.following
    bool pending_follow = false;  // data.pending_follow (false after an unfollow)
    FollowState state = FollowState::not_following;
    int http_status = 0;
    RateLimit rate_limit;
    std::vector<ApiErrorEntry> errors;  // partial errors beside data (usually none)
};

// An X account.
struct User {
    std::string id;        // digits (ids exceed 2^53: keep them as strings)
    std::string username;  // the @handle without '@'
    std::string name;      // the display name (UTF-8)
    RateLimit rate_limit;  // of the response that returned this user
};

// One page of a followers or following list (Client::followers, Client::following),
// newest relationship first.
struct UserPage {
    std::vector<User> users;                   // each carries the page's rate_limit
    std::optional<std::string> next_token;     // pass it as pagination_token; none on the last page
    std::optional<std::string> previous_token; // none on the first page
    std::uint32_t result_count = 0;            // meta.result_count
    RateLimit rate_limit;
};

// Every detail of a failure, shared between copies of the exception (copying an
// exception never throws).
struct ErrorDetails {
    ErrorCode code = ErrorCode::ok;
    int http_status = 0;  // 0 when no response was received
    std::optional<std::string> title, detail, type_uri, problem_type, reason, required_enrollment,
        registration_url;
    std::vector<ApiErrorEntry> errors;
    RateLimit rate_limit;
    bool may_have_reached_server = false;
    std::uint64_t retry_at = 0;  // Unix seconds, after a rate limit; 0 when unknown
    std::int64_t next_free_at = 0;  // Unix seconds, after a local quota refusal; 0 otherwise
};

// A failed libxfollow call. what() is the library's one-line message.
class Error : public std::runtime_error {
public:
    Error(const std::string &message, ErrorDetails details)
        : std::runtime_error(message), d_(std::make_shared<const ErrorDetails>(std::move(details))) {}

    ErrorCode code() const noexcept { return d_->code; }
    const char *message() const noexcept { return what(); }
    // The HTTP status of the failed response, 0 when there was none.
    int http_status() const noexcept { return d_->http_status; }
    // The problem fields of the error body; empty when absent.
    const std::optional<std::string> &title() const noexcept { return d_->title; }
    const std::optional<std::string> &detail() const noexcept { return d_->detail; }
    const std::optional<std::string> &type_uri() const noexcept { return d_->type_uri; }
    // The name after /2/problems/ ("client-forbidden"), whatever the host.
    const std::optional<std::string> &problem_type() const noexcept { return d_->problem_type; }
    const std::optional<std::string> &reason() const noexcept { return d_->reason; }
    const std::optional<std::string> &required_enrollment() const noexcept { return d_->required_enrollment; }
    const std::optional<std::string> &registration_url() const noexcept { return d_->registration_url; }
    // The body's errors[] entries (legacy codes such as 88, 89, 135, and v2 entries).
    const std::vector<ApiErrorEntry> &errors() const noexcept { return d_->errors; }
    // The rate-limit windows of the failed response (empty when there was none).
    const RateLimit &rate_limit() const noexcept { return d_->rate_limit; }
    // False when the request provably never left (bad input, connection refused...).
    bool may_have_reached_server() const noexcept { return d_->may_have_reached_server; }
    const ErrorDetails &details() const noexcept { return *d_; }

protected:
    std::shared_ptr<const ErrorDetails> d_;
};

// One class per code (the same names as the Python and Ruby bindings).
#define XFOLLOW_ERROR_CLASS(Name, Base)                                                         \
    class Name : public Base {                                                                  \
    public:                                                                                     \
        Name(const std::string &message, ErrorDetails details) : Base(message, std::move(details)) {} \
    };
XFOLLOW_ERROR_CLASS(InvalidArgument, Error)  // refused before any request
XFOLLOW_ERROR_CLASS(AuthError, Error)        // HTTP 401
XFOLLOW_ERROR_CLASS(Forbidden, Error)        // HTTP 403
XFOLLOW_ERROR_CLASS(NotFound, Error)         // HTTP 404, resource-not-found
XFOLLOW_ERROR_CLASS(NetworkError, Error)     // could not connect, connection broke
XFOLLOW_ERROR_CLASS(Timeout, NetworkError)   // connect or overall timeout
XFOLLOW_ERROR_CLASS(TlsError, NetworkError)  // TLS handshake or certificate
XFOLLOW_ERROR_CLASS(ServerError, Error)      // HTTP 5xx
XFOLLOW_ERROR_CLASS(ProtocolError, Error)    // malformed or unexpected response
XFOLLOW_ERROR_CLASS(ApiError, Error)         // HTTP 400 and other 4xx
XFOLLOW_ERROR_CLASS(InternalError, Error)    // a panic caught at the C boundary
XFOLLOW_ERROR_CLASS(QuotaStoreError, Error)  // the quota ledger's store failed; nothing sent
XFOLLOW_ERROR_CLASS(Cancelled, Error)        // x_client_cancel() during a retry wait
XFOLLOW_ERROR_CLASS(TokenStoreError, Error)  // the OAuth 2.0 token store or persist callback failed
#undef XFOLLOW_ERROR_CLASS

// HTTP 429: a rate limit or a daily cap was hit.
class RateLimited : public Error {
public:
    RateLimited(const std::string &message, ErrorDetails details) : Error(message, std::move(details)) {}
    // Unix time (seconds) to wait for: the latest reset among the exhausted windows; 0
    // when unknown.
    std::uint64_t reset_at() const noexcept { return d_->retry_at; }
    // Time to wait from now (zero when the reset is past or unknown).
    std::chrono::seconds retry_after() const noexcept {
        auto now = static_cast<std::uint64_t>(std::time(nullptr));
        return std::chrono::seconds(d_->retry_at > now ? static_cast<std::int64_t>(d_->retry_at - now) : 0);
    }
};

// A follow or unfollow refused locally by the quota ledger: a daily cap is reached and
// no request was sent.
class QuotaExhausted : public Error {
public:
    QuotaExhausted(const std::string &message, ErrorDetails details) : Error(message, std::move(details)) {}
    // Unix time (seconds) at which the exhausted window has a free slot again.
    std::int64_t next_free_at() const noexcept { return d_->next_free_at; }
};

// The loaded libxfollow is not the version this header belongs to.
class VersionMismatch : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The library's version ("0.1.0").
inline std::string library_version() { return x_version(); }

// Throws VersionMismatch unless the loaded library is the header's version (called by
// Client::oauth1 / oauth2).
inline void check_library_version() {
    if (x_version_number() != X_VERSION_NUMBER)
        throw VersionMismatch("xfollow: libxfollow " + library_version() + " is loaded, but xfollow.h is " +
                              std::to_string(X_VERSION_MAJOR) + "." + std::to_string(X_VERSION_MINOR) + "." +
                              std::to_string(X_VERSION_PATCH));
}

// A secret (access or refresh token, token secret, code verifier, authorization code,
// PIN): its bytes are overwritten with zeros when it is destroyed or assigned over, a move
// hands the buffer over without copying it, and streaming it prints "Secret(<redacted>)".
// Read it with expose(). A std::string or string literal converts to it implicitly, so it
// can be passed where a Secret is taken (that argument stays the caller's to wipe).
class Secret {
public:
    Secret() noexcept = default;
    Secret(std::string_view s) : n_(s.size()), p_(new char[s.size() + 1]) {
        if (n_ != 0) std::memcpy(p_.get(), s.data(), n_);
        p_[n_] = '\0';
    }
    Secret(const std::string &s) : Secret(std::string_view(s)) {}
    Secret(const char *s) : Secret(std::string_view(s ? s : "")) {}
    Secret(const Secret &o) : Secret(o.expose()) {}
    Secret(Secret &&o) noexcept : n_(o.n_), p_(std::move(o.p_)) { o.n_ = 0; }
    Secret &operator=(const Secret &o) {
        if (this != &o) *this = Secret(o);
        return *this;
    }
    Secret &operator=(Secret &&o) noexcept {
        if (this != &o) {
            wipe();
            n_ = o.n_;
            p_ = std::move(o.p_);
            o.n_ = 0;
        }
        return *this;
    }
    ~Secret() { wipe(); }

    // The value (valid while this Secret lives and is not assigned to); keep copies short-lived.
    std::string_view expose() const noexcept { return std::string_view(c_str(), n_); }
    const char *c_str() const noexcept { return p_ ? p_.get() : ""; }
    std::size_t size() const noexcept { return n_; }
    bool empty() const noexcept { return n_ == 0; }

    // In time that depends on the lengths only, not on where the values differ.
    friend bool operator==(const Secret &a, const Secret &b) noexcept {
        if (a.n_ != b.n_) return false;
        unsigned char diff = 0;
        for (std::size_t i = 0; i < a.n_; ++i)
            diff = static_cast<unsigned char>(diff | (a.p_[i] ^ b.p_[i]));
        return diff == 0;
    }
    friend bool operator!=(const Secret &a, const Secret &b) noexcept { return !(a == b); }
    friend std::ostream &operator<<(std::ostream &out, const Secret &) { return out << "Secret(<redacted>)"; }

private:
    void wipe() noexcept {
        if (p_) {
            // volatile: the stores must happen although the buffer is freed right after.
            volatile char *v = p_.get();
            for (std::size_t i = 0; i < n_; ++i) v[i] = 0;
            p_.reset();
        }
        n_ = 0;
    }

    std::size_t n_ = 0;
    std::unique_ptr<char[]> p_;
};

// An OAuth 2.0 token set: the access token, the refresh token (with the offline.access
// scope), the absolute expiry and the granted scopes.
struct TokenSet {
    Secret access_token;
    std::optional<Secret> refresh_token;
    std::optional<std::uint64_t> expires_at;  // Unix seconds; none when unknown
    std::vector<std::string> scopes;
};

// A user's OAuth 1.0a access token (it does not expire; the user can revoke it).
struct OAuth1Credentials {
    Secret token;
    Secret token_secret;
    std::optional<std::string> user_id;      // none when the answer had none
    std::optional<std::string> screen_name;  // the @handle without '@'
};

// An OAuth 2.0 authorization request: open url in the user's browser, check state on the
// callback (RedirectReceiver::wait does), keep code_verifier for OAuth2PKCE::exchange.
struct AuthorizationRequest {
    std::string url;
    std::string state;
    Secret code_verifier;
};

// Which token OAuth2PKCE::revoke revokes.
enum class TokenKind : int {
    access = X_TOKEN_ACCESS,
    refresh = X_TOKEN_REFRESH,
};

namespace detail {

struct ConfigDeleter {
    void operator()(x_config *p) const noexcept { x_config_free(p); }
};
struct ClientDeleter {
    void operator()(x_client *p) const noexcept { x_client_free(p); }
};
struct FollowResultDeleter {
    void operator()(x_follow_result *p) const noexcept { x_follow_result_free(p); }
};
struct UserDeleter {
    void operator()(x_user *p) const noexcept { x_user_free(p); }
};
struct StringDeleter {
    void operator()(char *p) const noexcept { x_string_free(p); }
};
using ConfigPtr = std::unique_ptr<x_config, ConfigDeleter>;
using ClientPtr = std::unique_ptr<x_client, ClientDeleter>;
using FollowResultPtr = std::unique_ptr<x_follow_result, FollowResultDeleter>;
using UserPtr = std::unique_ptr<x_user, UserDeleter>;
using StringPtr = std::unique_ptr<char, StringDeleter>;

inline std::optional<std::string> opt(const char *s) {
    return s ? std::optional<std::string>(s) : std::nullopt;
}

template <class Read>
RateLimit rate_limit(Read read) {
    RateLimit rl;
    std::optional<RateLimitWindow> *slots[] = {&rl.endpoint, &rl.user_24h, &rl.app_24h};
    const x_rate_window windows[] = {X_WINDOW_ENDPOINT, X_WINDOW_USER_24H, X_WINDOW_APP_24H};
    for (int i = 0; i < 3; ++i) {
        RateLimitWindow w;
        if (read(windows[i], &w.limit, &w.remaining, &w.reset)) *slots[i] = w;
    }
    return rl;
}

inline ApiErrorEntry entry(std::int64_t code, const char *message) {
    return ApiErrorEntry{code >= 0 ? std::optional<std::int64_t>(code) : std::nullopt, opt(message)};
}

template <class E>
[[noreturn]] void throw_as(const std::string &message, ErrorDetails &&d) {
    throw E(message, std::move(d));
}

[[noreturn]] inline void throw_error(const std::string &message, ErrorDetails &&d) {
    switch (d.code) {
    case ErrorCode::invalid_argument: throw_as<InvalidArgument>(message, std::move(d));
    case ErrorCode::unauthorized: throw_as<AuthError>(message, std::move(d));
    case ErrorCode::forbidden: throw_as<Forbidden>(message, std::move(d));
    case ErrorCode::not_found: throw_as<NotFound>(message, std::move(d));
    case ErrorCode::rate_limited: throw_as<RateLimited>(message, std::move(d));
    case ErrorCode::network: throw_as<NetworkError>(message, std::move(d));
    case ErrorCode::timeout: throw_as<Timeout>(message, std::move(d));
    case ErrorCode::tls: throw_as<TlsError>(message, std::move(d));
    case ErrorCode::server: throw_as<ServerError>(message, std::move(d));
    case ErrorCode::protocol: throw_as<ProtocolError>(message, std::move(d));
    case ErrorCode::api: throw_as<ApiError>(message, std::move(d));
    case ErrorCode::panic: throw_as<InternalError>(message, std::move(d));
    case ErrorCode::quota_exhausted: throw_as<QuotaExhausted>(message, std::move(d));
    case ErrorCode::quota_store: throw_as<QuotaStoreError>(message, std::move(d));
    case ErrorCode::cancelled: throw_as<Cancelled>(message, std::move(d));
    case ErrorCode::token_store: throw_as<TokenStoreError>(message, std::move(d));
    case ErrorCode::ok: break;
    }
    throw_as<Error>(message, std::move(d));
}

// Throws the exception for a non-zero code with this thread's last-error details (read
// right after the failed call, on the same thread, as the ABI requires).
inline void check(x_result rc) {
    if (rc == 0) return;
    ErrorDetails d;
    d.code = static_cast<ErrorCode>(rc);
    d.http_status = x_last_error_http_status();
    d.title = opt(x_last_error_title());
    d.detail = opt(x_last_error_detail());
    d.type_uri = opt(x_last_error_type());
    d.problem_type = opt(x_last_error_type_name());
    d.reason = opt(x_last_error_reason());
    d.required_enrollment = opt(x_last_error_required_enrollment());
    d.registration_url = opt(x_last_error_registration_url());
    const std::size_t n = x_last_error_api_error_count();
    for (std::size_t i = 0; i < n; ++i)
        d.errors.push_back(entry(x_last_error_api_error_code(i), x_last_error_api_error_message(i)));
    d.rate_limit = rate_limit([](x_rate_window w, std::uint64_t *l, std::uint64_t *r, std::uint64_t *s) {
        return x_last_error_rate_limit(w, l, r, s);
    });
    d.may_have_reached_server = x_last_error_may_have_reached_server();
    d.retry_at = x_last_error_retry_at();
    d.next_free_at = x_last_error_next_free_at();
    throw_error(x_last_error_message(), std::move(d));
}

// An InvalidArgument found by the wrapper itself, before any call.
[[noreturn]] inline void invalid(const std::string &message) {
    ErrorDetails d;
    d.code = ErrorCode::invalid_argument;
    throw_error(message, std::move(d));
}

// A string argument as the library wants it: no NUL inside (c_str() would cut it short).
inline const char *arg(const std::string &s, const char *name) {
    if (s.find('\0') != std::string::npos) invalid(std::string(name) + " contains a NUL character");
    return s.c_str();
}

inline const char *arg(const std::optional<std::string> &s, const char *name) {
    return s ? arg(*s, name) : nullptr;
}

inline const char *arg(const Secret &s, const char *name) {
    if (s.expose().find('\0') != std::string_view::npos) invalid(std::string(name) + " contains a NUL character");
    return s.c_str();
}

inline const char *arg(const std::optional<Secret> &s, const char *name) {
    return s ? arg(*s, name) : nullptr;
}

// The object behind a handle, or std::logic_error for a moved-from wrapper.
template <class Ptr>
auto live(const Ptr &p, const char *type) -> decltype(p.get()) {
    if (!p) throw std::logic_error(std::string(type) + " used after it was moved from");
    return p.get();
}

// A string the caller owns (wiped and freed with x_string_free).
inline std::string take_string(char *raw) {
    StringPtr s(raw);
    return std::string(s ? s.get() : "");
}
inline Secret take_secret(char *raw) {
    StringPtr s(raw);
    return Secret(s.get());
}

struct TokenSetDeleter {
    void operator()(x_token_set *p) const noexcept { x_token_set_free(p); }
};
struct OAuth1FlowDeleter {
    void operator()(x_oauth1_flow *p) const noexcept { x_oauth1_flow_free(p); }
};
struct OAuth1RequestDeleter {
    void operator()(x_oauth1_request *p) const noexcept { x_oauth1_request_free(p); }
};
struct OAuth1CredentialsDeleter {
    void operator()(x_oauth1_credentials *p) const noexcept { x_oauth1_credentials_free(p); }
};
struct OAuth2FlowDeleter {
    void operator()(x_oauth2_flow *p) const noexcept { x_oauth2_flow_free(p); }
};
struct ReceiverDeleter {
    void operator()(x_redirect_receiver *p) const noexcept { x_redirect_receiver_free(p); }
};
using TokenSetPtr = std::unique_ptr<x_token_set, TokenSetDeleter>;

inline std::vector<std::string> split_scopes(const char *joined) {
    std::vector<std::string> out;
    std::string_view rest(joined ? joined : "");
    while (!rest.empty()) {
        const auto end = rest.find(' ');
        if (end != 0) out.emplace_back(rest.substr(0, end));
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + 1);
    }
    return out;
}

inline std::string join_scopes(const std::vector<std::string> &scopes) {
    std::string out;
    for (const auto &s : scopes) out += (out.empty() ? "" : " ") + s;
    return out;
}

// A copy of a native token set (which may be borrowed, as in the persist callback).
inline TokenSet token_set(const x_token_set *t) {
    TokenSet out;
    out.access_token = Secret(x_token_set_access_token(t));
    if (const char *r = x_token_set_refresh_token(t)) out.refresh_token = Secret(r);
    if (const std::uint64_t at = x_token_set_expires_at(t)) out.expires_at = at;
    out.scopes = split_scopes(x_token_set_scopes(t));
    return out;
}

inline TokenSet take_token_set(x_token_set *raw) {
    TokenSetPtr t(raw);
    return token_set(t.get());
}

inline TokenSetPtr native_token_set(const TokenSet &t) {
    const char *access = arg(t.access_token, "access_token");
    const char *refresh = arg(t.refresh_token, "refresh_token");
    const std::string scopes = join_scopes(t.scopes);
    x_token_set *out = nullptr;
    check(x_token_set_new(access, refresh, t.expires_at.value_or(0), arg(scopes, "scopes"), &out));
    return TokenSetPtr(out);
}

inline OAuth1Credentials take_credentials(x_oauth1_credentials *raw) {
    std::unique_ptr<x_oauth1_credentials, OAuth1CredentialsDeleter> c(raw);
    return OAuth1Credentials{Secret(x_oauth1_credentials_token(c.get())),
                             Secret(x_oauth1_credentials_token_secret(c.get())),
                             opt(x_oauth1_credentials_user_id(c.get())),
                             opt(x_oauth1_credentials_screen_name(c.get()))};
}

inline std::uint32_t millis(std::chrono::milliseconds ms) {
    // Out-of-range values are left for the library to refuse with its own message.
    if (ms.count() <= 0) return 0;
    if (ms.count() > 0xFFFFFFFFLL) return 0xFFFFFFFFu;
    return static_cast<std::uint32_t>(ms.count());
}

// The transport options every configuration takes: the client's and the token flows'.
inline void set_transport(x_config *cfg, const std::optional<std::chrono::milliseconds> &timeout,
                          const std::optional<std::chrono::milliseconds> &connect_timeout,
                          const std::optional<std::string> &ca_file, const std::optional<std::string> &proxy) {
    const char *ca = arg(ca_file, "ca_file");
    const char *prox = arg(proxy, "proxy");
    if (timeout) check(x_config_set_timeout_ms(cfg, millis(*timeout)));
    if (connect_timeout) check(x_config_set_connect_timeout_ms(cfg, millis(*connect_timeout)));
    if (ca) check(x_config_set_ca_file(cfg, ca));
    if (prox) check(x_config_set_proxy(cfg, prox));
}

inline ConfigPtr new_config() {
    x_config *raw = nullptr;
    check(x_config_new(&raw));
    return ConfigPtr(raw);
}

inline User user(x_user *raw) {
    UserPtr u(raw);
    auto s = [](const char *p) { return std::string(p ? p : ""); };
    return User{s(x_user_id(u.get())), s(x_user_username(u.get())), s(x_user_name(u.get())),
                rate_limit([&](x_rate_window w, std::uint64_t *l, std::uint64_t *r, std::uint64_t *t) {
                    return x_user_rate_limit(u.get(), w, l, r, t);
                })};
}

inline FollowResult follow_result(x_follow_result *raw) {
    FollowResultPtr r(raw);
    FollowResult out;
    out.following = x_follow_result_following(r.get());
    out.pending_follow = x_follow_result_pending_follow(r.get());
    switch (x_follow_result_state(r.get())) {
    case X_STATE_FOLLOWING: out.state = FollowState::following; break;
    case X_STATE_PENDING: out.state = FollowState::pending; break;
    default: out.state = FollowState::not_following; break;
    }
    out.http_status = x_follow_result_http_status(r.get());
    out.rate_limit = rate_limit([&](x_rate_window w, std::uint64_t *l, std::uint64_t *m, std::uint64_t *t) {
        return x_follow_result_rate_limit(r.get(), w, l, m, t);
    });
    const std::size_t n = x_follow_result_error_count(r.get());
    for (std::size_t i = 0; i < n; ++i)
        out.errors.push_back(entry(x_follow_result_error_code(r.get(), i), x_follow_result_error_message(r.get(), i)));
    return out;
}

struct UserPageDeleter {
    void operator()(x_user_page *p) const noexcept { x_user_page_free(p); }
};

inline UserPage user_page(x_user_page *raw) {
    std::unique_ptr<x_user_page, UserPageDeleter> p(raw);
    auto s = [](const char *c) { return std::string(c ? c : ""); };
    UserPage out;
    out.rate_limit = rate_limit([&](x_rate_window w, std::uint64_t *l, std::uint64_t *r, std::uint64_t *t) {
        return x_user_page_rate_limit(p.get(), w, l, r, t);
    });
    const std::size_t n = x_user_page_count(p.get());
    out.users.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        out.users.push_back(User{s(x_user_page_user_id(p.get(), i)), s(x_user_page_username(p.get(), i)),
                                 s(x_user_page_name(p.get(), i)), out.rate_limit});
    out.next_token = opt(x_user_page_next_token(p.get()));
    out.previous_token = opt(x_user_page_previous_token(p.get()));
    out.result_count = x_user_page_result_count(p.get());
    return out;
}

// The refreshing client's persist callback; heap-held by the Client so that its address
// stays put while the client lives.
struct PersistHook {
    std::function<void(const TokenSet &)> on_refresh;

    // No exception crosses the C boundary: one thrown by on_refresh is dropped (the new set
    // is used anyway, since the old refresh token is spent).
    static void call(void *user_data, const x_token_set *tokens) noexcept {
        try {
            static_cast<PersistHook *>(user_data)->on_refresh(token_set(tokens));
        } catch (...) {
        }
    }
};

}  // namespace detail

// Client options; everything unset keeps the library's default.
struct Options {
    std::optional<std::string> base_url;  // default https://api.x.com (http for loopback only)
    std::optional<std::chrono::milliseconds> timeout;          // one whole request (30 s)
    std::optional<std::chrono::milliseconds> connect_timeout;  // connecting (10 s)
    std::optional<std::string> ca_file;  // a PEM file of extra trusted roots
    std::optional<std::string> proxy;    // an explicit proxy URL (*_PROXY is never read)
    // false asks for uncompressed answers (Accept-Encoding: identity); by default gzip is
    // asked for, as X's own clients do (a compressed answer is decoded either way).
    std::optional<bool> gzip;
    // The daily quota ledger's store: "memory:" (default), "sqlite:PATH", "redis://..." or
    // "off"; its caps (default 400 follows per user, 1000 per app, 500 unfollows per app).
    std::optional<std::string> quota;
    struct QuotaLimits {
        std::uint32_t follows_per_user = 400, follows_per_app = 1000, unfollows_per_app = 500;
    };
    std::optional<QuotaLimits> quota_limits;
    // The retry policy of every call (default 3 attempts, 500 ms to 8 s backoff with full
    // jitter, a 429 waited out up to 60 s); max_attempts = 1 never retries.
    struct Retry {
        std::uint32_t max_attempts = 3;
        std::chrono::milliseconds base_delay{500}, max_delay{8000}, max_rate_limit_wait{60000};
    };
    std::optional<Retry> retry;
    // The app's OAuth 2.0 client id, naming the app in the quota ledger for Client::oauth2
    // (without one, every OAuth 2.0 client of a store counts as one app). An OAuth 1.0a
    // client counts under its consumer key; Client::oauth2_refreshing under its client_id.
    std::optional<std::string> client_id;
};

// How Client::oauth2_refreshing renews its token set.
struct RefreshOptions {
    std::optional<Secret> client_secret;  // a confidential client's secret (HTTP Basic)
    // Called with every new token set before it is used (store it), from the thread
    // making the call, one call at a time per client. An exception it throws is dropped.
    std::function<void(const TokenSet &)> on_refresh;
    // A file shared with other processes (created mode 0600, locked during a refresh,
    // replaced atomically): a refresh re-reads it and takes a set another process rotated.
    std::optional<std::string> token_store;
    // Refresh this long before the expiry (default 60 s; at least 1 s).
    std::optional<std::chrono::seconds> margin;
};

// Options of the token flows; everything unset keeps the library's default.
struct FlowOptions {
    // The API's base (default https://api.x.com, whose authorize pages are on
    // https://x.com; with another base, as the emulator's, they are under it).
    std::optional<std::string> base_url;
    std::optional<std::chrono::milliseconds> timeout;          // one whole request (30 s)
    std::optional<std::chrono::milliseconds> connect_timeout;  // connecting (10 s)
    std::optional<std::string> ca_file;  // a PEM file of extra trusted roots
    std::optional<std::string> proxy;    // an explicit proxy URL
};

struct OAuth1Options : FlowOptions {
    // "oob" for the PIN flow (X shows the user a PIN to type into the program), else a
    // callback URL registered with the app.
    std::string callback = "oob";
};

struct OAuth2Options : FlowOptions {
    std::optional<Secret> client_secret;       // a confidential client (else public)
    std::optional<std::string> authorize_url;  // default <authorize host>/i/oauth2/authorize
};

// A client acting as one user; move-only, thread-safe const methods.
class Client {
public:
    // OAuth 1.0a user context: the app's consumer key and secret, the user's access token
    // and secret (the user's id is the token's numeric prefix).
    static Client oauth1(const std::string &consumer_key, const Secret &consumer_secret,
                         const Secret &access_token, const Secret &access_token_secret,
                         const Options &options = {}) {
        const char *ck = detail::arg(consumer_key, "consumer_key");
        const char *cs = detail::arg(consumer_secret, "consumer_secret");
        const char *at = detail::arg(access_token, "access_token");
        const char *ats = detail::arg(access_token_secret, "access_token_secret");
        return build(options, [&](x_config *cfg) { return x_config_set_oauth1(cfg, ck, cs, at, ats); });
    }

    // OAuth 1.0a with the credentials an OAuth1Flow login returned.
    static Client oauth1(const std::string &consumer_key, const Secret &consumer_secret,
                         const OAuth1Credentials &credentials, const Options &options = {}) {
        return oauth1(consumer_key, consumer_secret, credentials.token, credentials.token_secret, options);
    }

    // An OAuth 2.0 user access token (scopes tweet.read users.read follows.write); the
    // user's id is fetched once with GET /2/users/me when a call needs it.
    static Client oauth2(const Secret &access_token, const Options &options = {}) {
        const char *token = detail::arg(access_token, "access_token");
        return build(options, [&](x_config *cfg) { return x_config_set_oauth2_token(cfg, token); });
    }

    // An OAuth 2.0 token set (it needs a refresh token: the offline.access scope) that the
    // client refreshes by itself: RefreshOptions::margin before it expires and once after a
    // 401, one refresh at a time across threads. The token endpoint is under
    // options.base_url; client_id also names the app in the quota ledger. The set in use
    // now is token_set().
    static Client oauth2_refreshing(const TokenSet &tokens, const std::string &client_id,
                                    const RefreshOptions &refresh = {}, const Options &options = {}) {
        const char *cid = detail::arg(client_id, "client_id");
        const char *secret = detail::arg(refresh.client_secret, "client_secret");
        const char *store = detail::arg(refresh.token_store, "token_store");
        std::uint32_t margin = 0;  // the library's default
        if (refresh.margin) {
            const auto s = refresh.margin->count();
            if (s < 1) detail::invalid("margin must be at least 1 second");
            margin = s > 0xFFFFFFFFLL ? 0xFFFFFFFFu : static_cast<std::uint32_t>(s);
        }
        std::unique_ptr<detail::PersistHook> hook;
        if (refresh.on_refresh) hook.reset(new detail::PersistHook{refresh.on_refresh});
        detail::TokenSetPtr native = detail::native_token_set(tokens);
        Client c = build(options, [&](x_config *cfg) {
            const x_result rc = x_config_set_oauth2_refreshing(cfg, native.get(), cid, secret, margin,
                                                               hook ? &detail::PersistHook::call : nullptr,
                                                               hook.get(), store);
            return rc != 0 ? rc : x_config_set_client_id(cfg, cid);
        });
        c.hook_ = std::move(hook);
        return c;
    }

    Client(Client &&) noexcept = default;
    Client &operator=(Client &&) noexcept = default;
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    // The client goes before its persist callback.
    ~Client() { client_.reset(); }

    // Follows target_user_id (1 to 19 digits) as the authenticated user, or as
    // source_user_id. A protected target gives state FollowState::pending.
    FollowResult follow(const std::string &target_user_id,
                        const std::optional<std::string> &source_user_id = std::nullopt) const {
        const char *target = detail::arg(target_user_id, "target_user_id");
        const char *source = detail::arg(source_user_id, "source_user_id");
        x_follow_result *out = nullptr;
        detail::check(x_follow(handle(), source, target, &out));
        return detail::follow_result(out);
    }

    // Unfollows target_user_id; also withdraws a pending follow request.
    FollowResult unfollow(const std::string &target_user_id,
                          const std::optional<std::string> &source_user_id = std::nullopt) const {
        const char *target = detail::arg(target_user_id, "target_user_id");
        const char *source = detail::arg(source_user_id, "source_user_id");
        x_follow_result *out = nullptr;
        detail::check(x_unfollow(handle(), source, target, &out));
        return detail::follow_result(out);
    }

    // The authenticated user (GET /2/users/me).
    User me() const {
        x_user *out = nullptr;
        detail::check(x_me(handle(), &out));
        return detail::user(out);
    }

    // A user by @handle without '@' (1 to 15 of A-Z a-z 0-9 _); NotFound when unknown.
    User user_by_username(const std::string &username) const {
        const char *name = detail::arg(username, "username");
        x_user *out = nullptr;
        detail::check(x_user_by_username(handle(), name, &out));
        return detail::user(out);
    }

    // The authenticated user's id (as used when no source id is given).
    std::string own_user_id() const {
        char *out = nullptr;
        detail::check(x_client_own_user_id(handle(), &out));
        detail::StringPtr s(out);
        return std::string(s.get());
    }

    // One page of the users who follow user_id (default: the authenticated user), newest
    // first. max_results: 1 to 1000, 0 for the API's default (100); pagination_token: the
    // next_token of the page before. InvalidArgument before any request for bad input.
    UserPage followers(const std::optional<std::string> &user_id = std::nullopt, std::uint32_t max_results = 0,
                       const std::optional<std::string> &pagination_token = std::nullopt) const {
        const char *user = detail::arg(user_id, "user_id");
        const char *token = detail::arg(pagination_token, "pagination_token");
        x_user_page *out = nullptr;
        detail::check(x_followers(handle(), user, max_results, token, &out));
        return detail::user_page(out);
    }

    // One page of the users user_id follows (default: the authenticated user); arguments
    // as for followers().
    UserPage following(const std::optional<std::string> &user_id = std::nullopt, std::uint32_t max_results = 0,
                       const std::optional<std::string> &pagination_token = std::nullopt) const {
        const char *user = detail::arg(user_id, "user_id");
        const char *token = detail::arg(pagination_token, "pagination_token");
        x_user_page *out = nullptr;
        detail::check(x_following(handle(), user, max_results, token, &out));
        return detail::user_page(out);
    }

    // The OAuth 2.0 token set in use now (after a refresh, the new one); InvalidArgument
    // unless the client was made by oauth2_refreshing.
    TokenSet token_set() const {
        x_token_set *out = nullptr;
        detail::check(x_client_token_set(handle(), &out));
        return detail::take_token_set(out);
    }

    // The underlying handle, for calls into the C ABI (still owned by this Client).
    const x_client *get() const noexcept { return client_.get(); }
    explicit operator bool() const noexcept { return static_cast<bool>(client_); }

private:
    explicit Client(detail::ClientPtr c) noexcept : client_(std::move(c)) {}

    const x_client *handle() const { return detail::live(client_, "xfollow::Client"); }

    template <class SetCredentials>
    static Client build(const Options &o, SetCredentials set_credentials) {
        check_library_version();
        const char *base = detail::arg(o.base_url, "base_url");
        const char *client_id = detail::arg(o.client_id, "client_id");
        detail::ConfigPtr cfg = detail::new_config();
        // Before the credentials: oauth2_refreshing's own client_id then takes its place.
        if (client_id) detail::check(x_config_set_client_id(cfg.get(), client_id));
        detail::check(set_credentials(cfg.get()));
        if (base) detail::check(x_config_set_base_url(cfg.get(), base));
        detail::set_transport(cfg.get(), o.timeout, o.connect_timeout, o.ca_file, o.proxy);
        if (o.gzip) detail::check(x_config_set_gzip(cfg.get(), *o.gzip));
        const char *quota = detail::arg(o.quota, "quota");
        if (quota) detail::check(x_config_set_quota(cfg.get(), quota));
        if (o.quota_limits)
            detail::check(x_config_set_quota_limits(cfg.get(), o.quota_limits->follows_per_user,
                                                    o.quota_limits->follows_per_app,
                                                    o.quota_limits->unfollows_per_app));
        if (o.retry)
            detail::check(x_config_set_retry(cfg.get(), o.retry->max_attempts, detail::millis(o.retry->base_delay),
                                             detail::millis(o.retry->max_delay),
                                             detail::millis(o.retry->max_rate_limit_wait)));
        x_client *client = nullptr;
        detail::check(x_client_new(cfg.get(), &client));
        return Client(detail::ClientPtr(client));
    }

    // Declared after client_: a move assignment frees the old client before its callback.
    detail::ClientPtr client_;
    std::unique_ptr<detail::PersistHook> hook_;
};

// A request token from OAuth1Flow::request_token: the token and the page to send the user
// to. Move-only.
class OAuth1RequestToken {
public:
    // The request token (oauth_token; public).
    std::string token() const { return x_oauth1_request_token(handle()); }
    // The authorize page for this request token (.../oauth/authorize?oauth_token=...).
    std::string authorize_url() const { return x_oauth1_request_authorize_url(handle()); }

    const x_oauth1_request *get() const noexcept { return request_.get(); }
    explicit operator bool() const noexcept { return static_cast<bool>(request_); }

private:
    friend class OAuth1Flow;
    friend class RedirectReceiver;
    explicit OAuth1RequestToken(x_oauth1_request *r) noexcept : request_(r) {}
    const x_oauth1_request *handle() const { return detail::live(request_, "xfollow::OAuth1RequestToken"); }

    std::unique_ptr<x_oauth1_request, detail::OAuth1RequestDeleter> request_;
};

// The OAuth 1.0a three-legged flow of one app: request_token, send the user to its
// authorize_url, then access_token with the PIN (callback "oob") or the callback's
// verifier. Move-only; its const methods may be called from many threads at once.
class OAuth1Flow {
public:
    OAuth1Flow(const std::string &consumer_key, const Secret &consumer_secret, const OAuth1Options &options = {}) {
        const char *ck = detail::arg(consumer_key, "consumer_key");
        const char *cs = detail::arg(consumer_secret, "consumer_secret");
        const char *cb = detail::arg(options.callback, "callback");
        const char *base = detail::arg(options.base_url, "base_url");
        detail::ConfigPtr cfg = detail::new_config();
        detail::set_transport(cfg.get(), options.timeout, options.connect_timeout, options.ca_file, options.proxy);
        x_oauth1_flow *out = nullptr;
        detail::check(x_oauth1_flow_new(cfg.get(), ck, cs, cb, base, &out));
        flow_.reset(out);
    }

    // Step 1: POST /oauth/request_token; access_type: none, "read" or "write".
    OAuth1RequestToken request_token(const std::optional<std::string> &access_type = std::nullopt) const {
        const char *type = detail::arg(access_type, "access_type");
        x_oauth1_request *out = nullptr;
        detail::check(x_oauth1_flow_request_token(handle(), type, &out));
        return OAuth1RequestToken(out);
    }

    // Step 2 with options: the authorize page, or with authenticate the "Log in with X"
    // page; force_login, and screen_name to prefill the login form.
    std::string authorize_url(const OAuth1RequestToken &request, bool authenticate = false, bool force_login = false,
                              const std::optional<std::string> &screen_name = std::nullopt) const {
        const char *name = detail::arg(screen_name, "screen_name");
        char *out = nullptr;
        detail::check(x_oauth1_flow_authorize_url(handle(), request.handle(), authenticate, force_login, name, &out));
        return detail::take_string(out);
    }

    // Step 3: POST /oauth/access_token with the verifier (the PIN the user typed, or the
    // callback's oauth_verifier). A wrong verifier is an AuthError (HTTP 401).
    OAuth1Credentials access_token(const OAuth1RequestToken &request, const Secret &verifier) const {
        const char *v = detail::arg(verifier, "verifier");
        x_oauth1_credentials *out = nullptr;
        detail::check(x_oauth1_flow_access_token(handle(), request.handle(), v, &out));
        return detail::take_credentials(out);
    }

    // Step 3 from the callback URL (or its query) the browser was sent to: an AuthError
    // unless its oauth_token is this request's, then its oauth_verifier is exchanged.
    OAuth1Credentials access_token_from_callback(const OAuth1RequestToken &request,
                                                 const std::string &callback_url) const {
        const char *url = detail::arg(callback_url, "callback_url");
        x_oauth1_credentials *out = nullptr;
        detail::check(x_oauth1_flow_access_token_from_callback(handle(), request.handle(), url, &out));
        return detail::take_credentials(out);
    }

    const x_oauth1_flow *get() const noexcept { return flow_.get(); }
    explicit operator bool() const noexcept { return static_cast<bool>(flow_); }

private:
    const x_oauth1_flow *handle() const { return detail::live(flow_, "xfollow::OAuth1Flow"); }

    std::unique_ptr<x_oauth1_flow, detail::OAuth1FlowDeleter> flow_;
};

// OAuth 2.0 Authorization Code with PKCE for one app: authorization_request, send the user
// to its url, wait for the callback (RedirectReceiver), exchange the code; refresh and
// revoke. Move-only; its const methods may be called from many threads at once.
class OAuth2PKCE {
public:
    // scopes, e.g. {"tweet.read", "users.read", "follows.write", "offline.access"}
    // (offline.access for a refresh token). A public client unless options.client_secret.
    OAuth2PKCE(const std::string &client_id, const std::string &redirect_uri, const std::vector<std::string> &scopes,
               const OAuth2Options &options = {})
        : client_id_(client_id), redirect_uri_(redirect_uri), scopes_(scopes) {
        const std::string joined = detail::join_scopes(scopes);
        const char *id = detail::arg(client_id, "client_id");
        const char *secret = detail::arg(options.client_secret, "client_secret");
        const char *redirect = detail::arg(redirect_uri, "redirect_uri");
        const char *scope = detail::arg(joined, "scopes");
        const char *authorize = detail::arg(options.authorize_url, "authorize_url");
        const char *base = detail::arg(options.base_url, "base_url");
        detail::ConfigPtr cfg = detail::new_config();
        detail::set_transport(cfg.get(), options.timeout, options.connect_timeout, options.ca_file, options.proxy);
        x_oauth2_flow *out = nullptr;
        detail::check(x_oauth2_flow_new(cfg.get(), id, secret, redirect, scope, authorize, base, &out));
        flow_.reset(out);
    }

    // A new request with a fresh random state and code verifier (S256 challenge).
    AuthorizationRequest authorization_request() const {
        char *url = nullptr, *state = nullptr, *verifier = nullptr;
        detail::check(x_oauth2_flow_authorization_request(handle(), &url, &state, &verifier));
        detail::StringPtr u(url), st(state), v(verifier);
        return AuthorizationRequest{detail::take_string(u.release()), detail::take_string(st.release()),
                                    detail::take_secret(v.release())};
    }

    // The callback's code and the request's verifier for a token set; a refused code is an
    // AuthError with the provider's message.
    TokenSet exchange(const Secret &code, const Secret &code_verifier) const {
        const char *c = detail::arg(code, "code");
        const char *v = detail::arg(code_verifier, "code_verifier");
        x_token_set *out = nullptr;
        detail::check(x_oauth2_flow_exchange(handle(), c, v, &out));
        return detail::take_token_set(out);
    }

    // A new token set; on X the refresh token given is spent (keep the new one). A refused
    // refresh is an AuthError with the provider's message.
    TokenSet refresh(const Secret &refresh_token) const {
        const char *r = detail::arg(refresh_token, "refresh_token");
        x_token_set *out = nullptr;
        detail::check(x_oauth2_flow_refresh(handle(), r, &out));
        return detail::take_token_set(out);
    }

    // Revokes an access token, or a refresh token with TokenKind::refresh.
    void revoke(const Secret &token, TokenKind kind = TokenKind::access) const {
        const char *t = detail::arg(token, "token");
        detail::check(x_oauth2_flow_revoke(handle(), t, static_cast<x_token_kind>(kind)));
    }

    const std::string &client_id() const noexcept { return client_id_; }
    const std::string &redirect_uri() const noexcept { return redirect_uri_; }
    const std::vector<std::string> &scopes() const noexcept { return scopes_; }
    const x_oauth2_flow *get() const noexcept { return flow_.get(); }
    explicit operator bool() const noexcept { return static_cast<bool>(flow_); }

private:
    const x_oauth2_flow *handle() const { return detail::live(flow_, "xfollow::OAuth2PKCE"); }

    std::string client_id_, redirect_uri_;
    std::vector<std::string> scopes_;
    std::unique_ptr<x_oauth2_flow, detail::OAuth2FlowDeleter> flow_;
};

// A one-shot listener on the loopback for the browser's redirect: bind it before sending
// the user away, then wait once (for OAuth 2.0) or wait_oauth1. A callback of another login
// (another state or request token, which any web page can send) gets an error page and the
// wait goes on. Move-only; use it from one thread.
class RedirectReceiver {
public:
    // A loopback redirect URI as registered with the app (host 127.0.0.1 or localhost);
    // port 0 picks a free port (read it back with redirect_uri()).
    explicit RedirectReceiver(const std::string &redirect_uri = "http://127.0.0.1:8765/callback") {
        const char *uri = detail::arg(redirect_uri, "redirect_uri");
        x_redirect_receiver *out = nullptr;
        detail::check(x_redirect_receiver_bind(uri, &out));
        receiver_.reset(out);
    }

    // The redirect URI it listens for, with the bound port.
    std::string redirect_uri() const { return x_redirect_receiver_redirect_uri(handle()); }

    // The authorization code of the OAuth 2.0 callback carrying state. Timeout when none
    // came in time, AuthError when the user denied, ProtocolError without a code; the
    // receiver is used up whatever the outcome.
    Secret wait(const std::string &state, std::chrono::milliseconds timeout = std::chrono::minutes(5)) {
        const char *st = detail::arg(state, "state");
        char *out = nullptr;
        detail::check(x_redirect_receiver_wait(handle(), st, detail::millis(timeout), &out));
        return detail::take_secret(out);
    }

    // The oauth_verifier of the OAuth 1.0a callback of request.
    Secret wait_oauth1(const OAuth1RequestToken &request, std::chrono::milliseconds timeout = std::chrono::minutes(5)) {
        char *out = nullptr;
        detail::check(x_redirect_receiver_wait_oauth1(handle(), request.handle(), detail::millis(timeout), &out));
        return detail::take_secret(out);
    }

    const x_redirect_receiver *get() const noexcept { return receiver_.get(); }
    explicit operator bool() const noexcept { return static_cast<bool>(receiver_); }

private:
    const x_redirect_receiver *handle() const { return detail::live(receiver_, "xfollow::RedirectReceiver"); }

    std::unique_ptr<x_redirect_receiver, detail::ReceiverDeleter> receiver_;
};

}  // namespace xfollow

#endif  // XFOLLOW_HPP
