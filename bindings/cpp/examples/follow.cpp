// follow: follow or unfollow one account on X with xfollow.hpp.
//
//   follow [--unfollow] TARGET_USER_ID
//
// Environment (as for the C example, bindings/c/examples/follow.c):
//   X_API_BASE_URL          optional, default https://api.x.com
//   X_OAUTH2_ACCESS_TOKEN   an OAuth 2.0 user access token, or else all four of
//   X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET
//   X_QUOTA                 optional quota ledger store: memory: (default), sqlite:PATH,
//                           redis://host:port/db, rediss://host:port/db or off
//   X_QUOTA_LIMITS          optional daily caps FOLLOWS_PER_USER,FOLLOWS_PER_APP,UNFOLLOWS_PER_APP
//                           (default 400,1000,500; 0 turns a cap off)
//
// Prints the outcome and the rate limit, or the error with every detail. Exits 0 only on
// success (1: the call failed, 2: usage or configuration error).
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <ostream>
#include <string>

#include "xfollow.hpp"

namespace {

std::optional<std::string> env(const char *name) {
    const char *v = std::getenv(name);
    return (v != nullptr && v[0] != '\0') ? std::optional<std::string>(v) : std::nullopt;
}

// Reads "A,B,C" (three unsigned 32-bit numbers); nullopt when malformed.
std::optional<xfollow::Options::QuotaLimits> parse_caps(const std::string &text) {
    std::uint32_t caps[3];
    const char *s = text.c_str();
    for (int i = 0; i < 3; ++i) {
        char *end = nullptr;
        if (*s < '0' || *s > '9') return std::nullopt;
        errno = 0;
        const unsigned long long v = std::strtoull(s, &end, 10);
        if (errno != 0 || v > UINT32_MAX || *end != (i < 2 ? ',' : '\0')) return std::nullopt;
        caps[i] = static_cast<std::uint32_t>(v);
        s = end + 1;
    }
    xfollow::Options::QuotaLimits limits;
    limits.follows_per_user = caps[0];
    limits.follows_per_app = caps[1];
    limits.unfollows_per_app = caps[2];
    return limits;
}

void print_rate_limit(std::ostream &out, const xfollow::RateLimit &rl) {
    auto line = [&](const char *name, const std::optional<xfollow::RateLimitWindow> &w) {
        if (w) out << name << ": " << w->remaining << "/" << w->limit << " remaining, resets at " << w->reset << "\n";
    };
    line("rate limit (15 min)", rl.endpoint);
    line("user limit (24 h)", rl.user_24h);
    line("app limit (24 h)", rl.app_24h);
}

// Prints an error with every detail, to stderr.
void print_error(const std::string &what, const xfollow::Error &e) {
    std::ostream &err = std::cerr;
    err << "error: " << what << " failed: " << xfollow::code_name(e.code()) << " (" << static_cast<int>(e.code())
        << ", " << xfollow::code_text(e.code()) << ")\n";
    err << "message: " << e.what() << "\n";
    if (e.http_status() != 0) err << "http status: " << e.http_status() << "\n";
    auto field = [&](const char *name, const std::optional<std::string> &v) {
        if (v) err << name << ": " << *v << "\n";
    };
    field("title", e.title());
    field("detail", e.detail());
    field("type", e.type_uri());
    field("problem", e.problem_type());
    field("reason", e.reason());
    field("required enrollment", e.required_enrollment());
    field("registration url", e.registration_url());
    for (std::size_t i = 0; i < e.errors().size(); ++i) {
        const auto &entry = e.errors()[i];
        err << "errors[" << i << "]: ";
        if (entry.code) err << "code " << *entry.code << ": ";
        err << entry.message.value_or("") << "\n";
    }
    print_rate_limit(err, e.rate_limit());
    if (const auto *limited = dynamic_cast<const xfollow::RateLimited *>(&e); limited && limited->reset_at() != 0)
        err << "retry at: " << limited->reset_at() << "\n";
    if (const auto *quota = dynamic_cast<const xfollow::QuotaExhausted *>(&e); quota && quota->next_free_at() != 0)
        err << "quota frees at: " << quota->next_free_at() << "\n";
    err << "may have reached the server: " << (e.may_have_reached_server() ? "yes" : "no") << "\n";
}

const char *state_text(xfollow::FollowState s) {
    switch (s) {
    case xfollow::FollowState::following: return "following";
    case xfollow::FollowState::pending: return "pending";
    default: return "not following";
    }
}

}  // namespace

int main(int argc, char **argv) {
    bool unfollow = false, usage = false;
    std::optional<std::string> target;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--unfollow") == 0)
            unfollow = true;
        else if (!target && argv[i][0] != '-')
            target = argv[i];
        else
            usage = true;
    }
    if (!target || usage) {
        std::cerr << "usage: " << argv[0] << " [--unfollow] TARGET_USER_ID\n";
        return 2;
    }

    xfollow::Options options;
    options.base_url = env("X_API_BASE_URL");
    options.quota = env("X_QUOTA");
    if (const auto caps = env("X_QUOTA_LIMITS")) {
        options.quota_limits = parse_caps(*caps);
        if (!options.quota_limits) {
            std::cerr << "error: X_QUOTA_LIMITS must be three numbers: "
                         "FOLLOWS_PER_USER,FOLLOWS_PER_APP,UNFOLLOWS_PER_APP\n";
            return 2;
        }
    }
    const auto oauth2 = env("X_OAUTH2_ACCESS_TOKEN");
    const auto ck = env("X_CONSUMER_KEY"), cs = env("X_CONSUMER_SECRET");
    const auto at = env("X_ACCESS_TOKEN"), ats = env("X_ACCESS_TOKEN_SECRET");
    if (!oauth2 && !(ck && cs && at && ats)) {
        std::cerr << "error: set X_OAUTH2_ACCESS_TOKEN, or X_CONSUMER_KEY, X_CONSUMER_SECRET, "
                     "X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET\n";
        return 2;
    }

    std::optional<xfollow::Client> client;
    try {
        client = oauth2 ? xfollow::Client::oauth2(*oauth2, options)
                        : xfollow::Client::oauth1(*ck, *cs, *at, *ats, options);
    } catch (const xfollow::Error &e) {
        print_error("configuration", e);
        return 2;
    } catch (const xfollow::VersionMismatch &e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    }

    std::string source;
    try {
        source = client->own_user_id();
    } catch (const xfollow::Error &e) {
        print_error("finding the authenticated user", e);
        return 1;
    }
    try {
        const xfollow::FollowResult r = unfollow ? client->unfollow(*target, source) : client->follow(*target, source);
        std::cout << (unfollow ? "unfollow" : "follow") << ": " << source << " -> " << *target << " ("
                  << (oauth2 ? "OAuth 2.0" : "OAuth 1.0a") << ")\n";
        std::cout << "following: " << (r.following ? "true" : "false") << "\n";
        std::cout << "pending_follow: " << (r.pending_follow ? "true" : "false") << "\n";
        std::cout << "state: " << state_text(r.state) << "\n";
        print_rate_limit(std::cout, r.rate_limit);
    } catch (const xfollow::Error &e) {
        print_error(unfollow ? "unfollow" : "follow", e);
        return 1;
    }
    return 0;
}
