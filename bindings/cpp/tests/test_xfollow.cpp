// Tests of xfollow.hpp against the emulator at $X_API_BASE_URL (scripts/with-emulator.sh
// starts one). A plain program: every CHECK counts as passed or failed, the last line is
// "N passed, N failed", and the exit status is non-zero when anything failed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

// After <unistd.h>, whose POSIX X_OK must not clash with any xfollow name.
#include "xfollow.hpp"

namespace {

int passed = 0, failed = 0;

void check(bool ok, const std::string &what, int line) {
    if (ok) {
        ++passed;
    } else {
        ++failed;
        std::cerr << "FAILED (line " << line << "): " << what << "\n";
    }
}
#define CHECK(cond) check((cond), #cond, __LINE__)
#define CHECK_EQ(a, b) check((a) == (b), #a " == " #b, __LINE__)

// Runs body, which must throw E; returns the exception (or a default-looking failure).
template <class E>
std::optional<E> expect_throw(const std::function<void()> &body, const std::string &what, int line) {
    try {
        body();
    } catch (const E &e) {
        check(true, what, line);
        return e;
    } catch (const std::exception &e) {
        check(false, what + ": threw another exception: " + e.what(), line);
        return std::nullopt;
    }
    check(false, what + ": nothing thrown", line);
    return std::nullopt;
}
#define EXPECT_THROW(E, expr) expect_throw<E>([&] { (void)(expr); }, "throws " #E ": " #expr, __LINE__)

const std::string ALICE = "1500000000000000001", BOB = "1500000000000000002", CAROL = "1500000000000000003",
                  DAVE = "1500000000000000004", ERIN = "1500000000000000005", XDEVELOPERS = "783214";
const std::string CK = "demo-consumer-key", CS = "demo-consumer-secret";
const std::string ALICE_TOKEN = ALICE + "-aliceDemoAccessToken", ALICE_SECRET = "alice-demo-token-secret";
const std::string ALICE_OAUTH2 = "alice-demo-oauth2-token", BOB_OAUTH2_READONLY = "bob-demo-oauth2-readonly";
const std::string FOLLOW_ROUTE = "POST /2/users/*/following";

std::string base_url;
int port = 0;

// A minimal HTTP/1.1 request to the emulator's admin API (Connection: close); the body.
std::string admin(const std::string &method, const std::string &path, const std::string &body = "") {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        close(fd);
        throw std::runtime_error("cannot connect to the emulator");
    }
    std::string req = method + " /__emulator/" + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                      "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\n\r\n" + body;
    for (std::size_t sent = 0; sent < req.size();) {
        ssize_t n = send(fd, req.data() + sent, req.size() - sent, 0);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    std::string resp;
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) resp.append(buf, static_cast<std::size_t>(n));
    close(fd);
    if (resp.compare(0, 12, "HTTP/1.1 200") != 0) throw std::runtime_error("admin " + path + ": " + resp);
    auto at = resp.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : resp.substr(at + 4);
}

void reset() { admin("POST", "reset"); }
std::string state() { return admin("GET", "state"); }

long number_after(const std::string &json, const std::string &key) {
    std::smatch m;
    std::regex re(std::regex_replace(key, std::regex(R"([\[\]\{\}\*\.])"), R"(\$&)") + R"(\s*(-?[0-9]+))");
    return std::regex_search(json, m, re) ? std::stol(m[1]) : -1;
}
long connections() { return number_after(admin("GET", "connections"), "\"accepted\":"); }
long now() { return number_after(state(), "\"now\":"); }
long user_counter(const std::string &user, const std::string &name) {
    std::string s = state();
    auto at = s.find("\"users\":");
    at = s.find("\"" + user + "\":", at);
    return number_after(s.substr(at), "\"" + name + "\":");
}

// The [...] array after "key": in the state (follows or pending).
std::string array(const std::string &s, const std::string &key) {
    auto at = s.find("\"" + key + "\":[");
    if (at == std::string::npos) return "";
    return s.substr(at, s.find(']', at) - at + 1);
}
bool has_pair(const std::string &which, const std::string &source, const std::string &target) {
    return array(state(), which).find("{\"source\":\"" + source + "\",\"target\":\"" + target + "\"}") !=
           std::string::npos;
}

void fault(const std::string &json) { admin("POST", "faults", json); }

xfollow::Options opts() {
    xfollow::Options o;
    o.base_url = base_url;
    return o;
}
// One attempt per call and no quota ledger: the error tests read each fault as it came.
xfollow::Options single() {
    xfollow::Options o = opts();
    o.retry = xfollow::Options::Retry{1, std::chrono::milliseconds(0), std::chrono::milliseconds(0),
                                      std::chrono::milliseconds(0)};
    o.quota = "off";
    return o;
}
xfollow::Client alice1(xfollow::Options o = opts()) { return xfollow::Client::oauth1(CK, CS, ALICE_TOKEN, ALICE_SECRET, o); }
xfollow::Client alice2(xfollow::Options o = opts()) { return xfollow::Client::oauth2(ALICE_OAUTH2, o); }

// -- types -------------------------------------------------------------------------------
static_assert(!std::is_copy_constructible_v<xfollow::Client>, "Client is move-only");
static_assert(!std::is_copy_assignable_v<xfollow::Client>, "Client is move-only");
static_assert(std::is_nothrow_move_constructible_v<xfollow::Client>, "Client moves without throwing");
static_assert(std::is_nothrow_move_assignable_v<xfollow::Client>, "Client moves without throwing");
static_assert(std::is_nothrow_copy_constructible_v<xfollow::Error>, "exceptions copy without throwing");
static_assert(std::is_base_of_v<std::runtime_error, xfollow::Error>, "Error is a runtime_error");
static_assert(std::is_base_of_v<xfollow::NetworkError, xfollow::Timeout>, "Timeout is a NetworkError");
static_assert(std::is_base_of_v<xfollow::NetworkError, xfollow::TlsError>, "TlsError is a NetworkError");
static_assert(std::is_base_of_v<xfollow::Error, xfollow::RateLimited>, "RateLimited is an Error");

void test_version() {
    CHECK_EQ(xfollow::library_version(), std::string("0.1.0"));
    xfollow::check_library_version();
    CHECK_EQ(std::string(xfollow::code_name(xfollow::ErrorCode::not_found)), "X_ERR_NOT_FOUND");
    CHECK_EQ(std::string(xfollow::code_text(xfollow::ErrorCode::not_found)), "not found");
    CHECK_EQ(std::string(xfollow::code_name(static_cast<xfollow::ErrorCode>(99))), "X_ERR_UNKNOWN");
}

void test_follow_unfollow(xfollow::Client c, const char *mode) {
    std::cerr << "-- follow/unfollow " << mode << "\n";
    reset();
    long t0 = now();
    xfollow::FollowResult r = c.follow(BOB);
    long t1 = now();
    CHECK(r.following && !r.pending_follow && r.state == xfollow::FollowState::following);
    CHECK_EQ(r.http_status, 200);
    CHECK(r.errors.empty());
    CHECK(r.rate_limit.endpoint && r.rate_limit.endpoint->limit == 50 && r.rate_limit.endpoint->remaining == 49);
    CHECK(r.rate_limit.endpoint && long(r.rate_limit.endpoint->reset) >= t0 + 900 &&
          long(r.rate_limit.endpoint->reset) <= t1 + 900);
    CHECK(r.rate_limit.user_24h && r.rate_limit.user_24h->limit == 400 && r.rate_limit.user_24h->remaining == 399);
    CHECK(r.rate_limit.app_24h && r.rate_limit.app_24h->limit == 1000 && r.rate_limit.app_24h->remaining == 999);
    CHECK(!r.rate_limit.binding_reset());
    CHECK(has_pair("follows", ALICE, BOB));
    CHECK_EQ(c.follow(BOB).rate_limit.endpoint->remaining, 48u);

    xfollow::FollowResult u = c.unfollow(BOB);
    CHECK(!u.following && !u.pending_follow && u.state == xfollow::FollowState::not_following);
    CHECK(u.rate_limit.app_24h && u.rate_limit.app_24h->limit == 500 && u.rate_limit.app_24h->remaining == 499);
    CHECK(!has_pair("follows", ALICE, BOB));

    xfollow::FollowResult p = c.follow(CAROL);
    CHECK(!p.following && p.pending_follow && p.state == xfollow::FollowState::pending);
    CHECK(has_pair("pending", ALICE, CAROL));
    CHECK(!has_pair("follows", ALICE, CAROL));
    CHECK(c.unfollow(CAROL, ALICE).state == xfollow::FollowState::not_following);
    CHECK(!has_pair("pending", ALICE, CAROL));
    CHECK_EQ(user_counter(ALICE, "follow_requests"), 3);
    CHECK_EQ(user_counter(ALICE, "unfollow_requests"), 2);

    xfollow::User me = c.me();
    CHECK_EQ(me.id, ALICE);
    CHECK_EQ(me.username, std::string("alice"));
    CHECK_EQ(me.name, std::string("Alice"));
    CHECK(me.rate_limit.endpoint && me.rate_limit.endpoint->limit == 75);
    xfollow::User dev = c.user_by_username("XDevelopers");
    CHECK(dev.id == XDEVELOPERS && dev.username == "XDevelopers" && dev.name == "Developers");
    CHECK(dev.rate_limit.endpoint && dev.rate_limit.endpoint->limit == 900);
    CHECK_EQ(c.own_user_id(), ALICE);
}

void test_moves() {
    reset();
    xfollow::Client a = alice1();
    CHECK(static_cast<bool>(a));
    xfollow::Client b = std::move(a);
    CHECK(!a);  // NOLINT(bugprone-use-after-move): the moved-from state is what is tested
    CHECK(static_cast<bool>(b));
    CHECK(b.follow(ERIN).following);
    EXPECT_THROW(std::logic_error, a.follow(BOB));
    a = std::move(b);
    CHECK(a.unfollow(ERIN).state == xfollow::FollowState::not_following);
    std::vector<xfollow::Client> many;
    for (int i = 0; i < 4; ++i) many.push_back(alice2());
    CHECK_EQ(many.back().me().id, ALICE);
}

void test_errors() {
    std::cerr << "-- errors\n";
    reset();
    xfollow::Client c = alice1(single());

    auto nf = EXPECT_THROW(xfollow::NotFound, c.follow("1234"));
    if (nf) {
        CHECK(nf->code() == xfollow::ErrorCode::not_found);
        CHECK_EQ(nf->http_status(), 404);
        CHECK_EQ(std::string(nf->what()),
                 "HTTP 404 Not Found Error: Could not find user with target_user_id: [1234].");
        CHECK(nf->title() == std::optional<std::string>("Not Found Error"));
        CHECK(nf->problem_type() == std::optional<std::string>("resource-not-found"));
        CHECK(nf->type_uri() == std::optional<std::string>("https://api.twitter.com/2/problems/resource-not-found"));
        CHECK(nf->detail() == std::optional<std::string>("Could not find user with target_user_id: [1234]."));
        CHECK(nf->rate_limit().endpoint && nf->rate_limit().endpoint->limit == 50);
        CHECK(nf->may_have_reached_server());
    }
    auto nu = EXPECT_THROW(xfollow::NotFound, c.user_by_username("nosuchuser"));
    if (nu) {
        CHECK_EQ(nu->http_status(), 200);
        CHECK_EQ(nu->errors().size(), 1u);
        CHECK(nu->errors().size() == 1 && !nu->errors()[0].code &&
              nu->errors()[0].message == std::optional<std::string>("Could not find user with username: [nosuchuser]."));
    }

    auto fb = EXPECT_THROW(xfollow::Forbidden, c.follow(DAVE));
    if (fb) {
        CHECK(fb->code() == xfollow::ErrorCode::forbidden);
        CHECK_EQ(std::string(fb->what()), "HTTP 403 Forbidden: You cannot follow an account that is suspended.");
    }
    {
        xfollow::Client ro = xfollow::Client::oauth2(BOB_OAUTH2_READONLY, opts());
        auto scope = EXPECT_THROW(xfollow::Forbidden, ro.follow(ALICE, BOB));
        if (scope) CHECK_EQ(scope->http_status(), 403);
    }

    {
        xfollow::Client wrong = xfollow::Client::oauth1(CK, "not-the-secret", ALICE_TOKEN, ALICE_SECRET, opts());
        auto au = EXPECT_THROW(xfollow::AuthError, wrong.follow(BOB));
        if (au) {
            CHECK(au->code() == xfollow::ErrorCode::unauthorized);
            CHECK_EQ(au->http_status(), 401);
            CHECK_EQ(std::string(au->what()), "HTTP 401 Unauthorized [code 32: Could not authenticate you.]");
            CHECK(au->errors().size() == 1 && au->errors()[0].code == std::optional<std::int64_t>(32));
            CHECK(std::string(au->what()).find("not-the-secret") == std::string::npos);
        }
        CHECK(!has_pair("follows", ALICE, BOB));
    }

    fault(R"({"route":"POST /2/users/*/following","kind":"status","status":403,"content_type":"application/problem+json","body":"{\"client_id\":\"101010101\",\"required_enrollment\":\"Appropriate Level of API Access\",\"registration_url\":\"https://developer.x.com/en/portal/product\",\"title\":\"Client Forbidden\",\"detail\":\"This request must be made using an approved developer account.\",\"reason\":\"client-not-enrolled\",\"type\":\"https://api.twitter.com/2/problems/client-forbidden\"}"})");
    auto en = EXPECT_THROW(xfollow::Forbidden, c.follow(BOB));
    if (en) {
        CHECK(en->title() == std::optional<std::string>("Client Forbidden"));
        CHECK(en->problem_type() == std::optional<std::string>("client-forbidden"));
        CHECK(en->reason() == std::optional<std::string>("client-not-enrolled"));
        CHECK(en->required_enrollment() == std::optional<std::string>("Appropriate Level of API Access"));
        CHECK(en->registration_url() == std::optional<std::string>("https://developer.x.com/en/portal/product"));
        CHECK(en->errors().empty());
    }

    const std::uint64_t later = static_cast<std::uint64_t>(std::time(nullptr)) + 5000;
    fault(R"({"route":"POST /2/users/*/following","kind":"status","status":429,"body":"{\"errors\":[{\"code\":88,\"message\":\"Rate limit exceeded\"}]}","headers":{"x-user-limit-24hour-remaining":"0","x-user-limit-24hour-reset":")" +
          std::to_string(later) + "\"}}");
    auto rl = EXPECT_THROW(xfollow::RateLimited, c.follow(BOB));
    if (rl) {
        CHECK(rl->code() == xfollow::ErrorCode::rate_limited);
        CHECK_EQ(rl->http_status(), 429);
        CHECK(rl->errors().size() == 1 && rl->errors()[0].code == std::optional<std::int64_t>(88));
        CHECK(rl->rate_limit().user_24h == std::optional<xfollow::RateLimitWindow>(xfollow::RateLimitWindow{400, 0, later}));
        CHECK(rl->rate_limit().endpoint && rl->rate_limit().endpoint->remaining == 0);
        CHECK_EQ(rl->reset_at(), later);
        CHECK(rl->rate_limit().binding_reset() == std::optional<std::uint64_t>(later));
        CHECK(rl->retry_after().count() > 4990 && rl->retry_after().count() <= 5000);
        CHECK_EQ(std::string(rl->what()), "HTTP 429 [code 88: Rate limit exceeded] (retry at " + std::to_string(later) + ")");
    }

    fault(R"({"route":"POST /2/users/*/following","kind":"status","status":503})");
    auto se = EXPECT_THROW(xfollow::ServerError, c.follow(BOB));
    if (se) {
        CHECK(se->code() == xfollow::ErrorCode::server);
        CHECK_EQ(std::string(se->what()), "HTTP 503 Service Unavailable");
    }

    fault(R"({"route":"POST /2/users/*/following","kind":"status","status":400,"content_type":"application/problem+json","body":"{\"title\":\"Invalid Request\",\"detail\":\"One or more parameters to your request was invalid.\",\"type\":\"https://api.twitter.com/2/problems/invalid-request\"}"})");
    auto ae = EXPECT_THROW(xfollow::ApiError, c.follow(BOB));
    if (ae) CHECK(ae->code() == xfollow::ErrorCode::api && ae->problem_type() == std::optional<std::string>("invalid-request"));

    fault(R"({"route":"POST /2/users/*/following","kind":"malformed"})");
    auto pe = EXPECT_THROW(xfollow::ProtocolError, c.follow(BOB));
    if (pe) {
        CHECK(pe->code() == xfollow::ErrorCode::protocol);
        CHECK_EQ(pe->http_status(), 200);
        CHECK(std::string(pe->what()).rfind("malformed JSON in HTTP 200 response", 0) == 0);
    }

    fault(R"({"route":"POST /2/users/*/following","kind":"reset"})");
    auto ne = EXPECT_THROW(xfollow::NetworkError, c.follow(BOB));
    if (ne) {
        CHECK(ne->code() == xfollow::ErrorCode::network);
        CHECK_EQ(ne->http_status(), 0);
        CHECK(ne->rate_limit().empty());
    }

    fault(R"({"route":"POST /2/users/*/following","kind":"delay","delay_ms":3000})");
    {
        xfollow::Options o = single();
        o.timeout = std::chrono::milliseconds(300);
        xfollow::Client quick = alice1(o);
        auto to = EXPECT_THROW(xfollow::Timeout, quick.follow(BOB));
        if (to) CHECK(to->code() == xfollow::ErrorCode::timeout);
    }
    // Caught as the base classes too.
    fault(R"({"route":"POST /2/users/*/following","kind":"reset"})");
    EXPECT_THROW(xfollow::Error, c.follow(BOB));
    fault(R"({"route":"POST /2/users/*/following","kind":"reset"})");
    EXPECT_THROW(std::runtime_error, c.follow(BOB));

    auto panic = EXPECT_THROW(xfollow::InternalError, xfollow::detail::check(x_test_panic()));
    if (panic) CHECK_EQ(std::string(panic->what()), "internal panic caught at the C boundary: x_test_panic: deliberate panic for tests");
}

void test_limits() {
    std::cerr << "-- limits\n";
    reset();
    CHECK(static_cast<int>(xfollow::ErrorCode::quota_exhausted) == 13);
    CHECK_EQ(std::string(xfollow::code_name(xfollow::ErrorCode::quota_exhausted)), "X_ERR_QUOTA_EXHAUSTED");
    CHECK_EQ(std::string(xfollow::code_name(xfollow::ErrorCode::cancelled)), "X_ERR_CANCELLED");
    CHECK_EQ(std::string(xfollow::code_name(xfollow::ErrorCode::token_store)), "X_ERR_TOKEN_STORE");
    const std::string db = "/tmp/xfollow-cpp-limits-" + std::to_string(static_cast<long>(std::time(nullptr))) + "-" +
                           std::to_string(port) + ".db";
    xfollow::Options o = opts();
    o.quota = "sqlite:" + db;
    o.quota_limits = xfollow::Options::QuotaLimits{1, 1000, 500};
    {
        xfollow::Client c = alice1(o);
        c.follow(ERIN);
        auto qe = EXPECT_THROW(xfollow::QuotaExhausted, c.follow(BOB));
        if (qe) {
            CHECK(qe->code() == xfollow::ErrorCode::quota_exhausted);
            CHECK(!qe->may_have_reached_server());
            CHECK(qe->next_free_at() > static_cast<std::int64_t>(std::time(nullptr)) + 86000);
            CHECK(std::string(qe->what()).rfind("daily quota exhausted: 1 of 1 follows", 0) == 0);
        }
        CHECK(!has_pair("follows", ALICE, BOB));
    }
    for (const char *suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
    o = opts();
    o.quota = "nosuch:store";
    EXPECT_THROW(xfollow::InvalidArgument, alice1(o));
}

void test_invalid_input_sends_nothing() {
    std::cerr << "-- invalid input\n";
    reset();
    xfollow::Client c = alice1();
    const std::string before = state();
    const long conns = connections();
    for (const std::string bad : {"", "12a", "-1", "11111111111111111111", " 1", "\xff"}) {
        auto e = EXPECT_THROW(xfollow::InvalidArgument, c.follow(bad));
        if (e) {
            CHECK(e->code() == xfollow::ErrorCode::invalid_argument);
            CHECK_EQ(e->http_status(), 0);
            CHECK(!e->may_have_reached_server());
        }
        EXPECT_THROW(xfollow::InvalidArgument, c.unfollow(bad));
        EXPECT_THROW(xfollow::InvalidArgument, c.follow(BOB, bad));
    }
    for (const std::string bad : {"", "bad-name", "aaaaaaaaaaaaaaaa", "name!"})
        EXPECT_THROW(xfollow::InvalidArgument, c.user_by_username(bad));
    auto nul = EXPECT_THROW(xfollow::InvalidArgument, c.follow(std::string("12\0" "3", 4)));
    if (nul) CHECK_EQ(std::string(nul->what()), "target_user_id contains a NUL character");
    auto digits = EXPECT_THROW(xfollow::InvalidArgument, c.follow("12a"));
    if (digits) CHECK_EQ(std::string(digits->what()), "target user id must be a user id of 1 to 19 digits");
    // Only the admin request that read the count opened a connection; nothing changed.
    CHECK_EQ(connections() - conns, 1);
    std::string after = state();
    CHECK_EQ(after.substr(0, after.find("\"now\":")), before.substr(0, before.find("\"now\":")));

    xfollow::Options o = opts();
    o.base_url = "http://example.com";
    auto bu = EXPECT_THROW(xfollow::InvalidArgument, alice1(o));
    if (bu)
        CHECK_EQ(std::string(bu->what()),
                 "invalid base URL: plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost)");
    o = opts();
    o.timeout = std::chrono::milliseconds(0);
    auto t0 = EXPECT_THROW(xfollow::InvalidArgument, alice1(o));
    if (t0) CHECK_EQ(std::string(t0->what()), "timeout must be between 1 and 3600000 ms");
    o.timeout = std::chrono::hours(2);
    EXPECT_THROW(xfollow::InvalidArgument, alice1(o));
    o = opts();
    o.connect_timeout = std::chrono::milliseconds(-5);
    auto ct = EXPECT_THROW(xfollow::InvalidArgument, alice1(o));
    if (ct) CHECK_EQ(std::string(ct->what()), "connect timeout must be between 1 and 3600000 ms");
    o = opts();
    o.proxy = "not a url";
    EXPECT_THROW(xfollow::InvalidArgument, alice1(o));
    o = opts();
    o.ca_file = "/nonexistent/ca.pem";
    EXPECT_THROW(xfollow::InvalidArgument, alice1(o));
    EXPECT_THROW(xfollow::InvalidArgument, xfollow::Client::oauth2("", opts()));
    auto nulkey = EXPECT_THROW(xfollow::InvalidArgument, xfollow::Client::oauth2(std::string("a\0b", 3), opts()));
    if (nulkey) CHECK_EQ(std::string(nulkey->what()), "access_token contains a NUL character");
}

// A one-shot server on 127.0.0.1: answers one request with a plain follow body and
// returns the request's head (request line and headers).
struct OneShot {
    int listener = -1;
    int port = 0;
    std::string head;
    std::thread thread;

    OneShot() {
        listener = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (listener < 0 || bind(listener, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
            listen(listener, 1) != 0 || getsockname(listener, reinterpret_cast<sockaddr *>(&addr), &len) != 0)
            throw std::runtime_error("cannot listen");
        port = ntohs(addr.sin_port);
        thread = std::thread([this] {
            int fd = accept(listener, nullptr, nullptr);
            if (fd < 0) return;
            std::string in;
            char buf[4096];
            ssize_t n;
            while (in.find("\r\n\r\n") == std::string::npos && (n = recv(fd, buf, sizeof buf, 0)) > 0)
                in.append(buf, static_cast<std::size_t>(n));
            head = in.substr(0, in.find("\r\n\r\n"));
            const std::string body = R"({"data":{"following":true,"pending_follow":false}})";
            const std::string out = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " +
                                    std::to_string(body.size()) + "\r\nconnection: close\r\n\r\n" + body;
            send(fd, out.data(), out.size(), 0);
            close(fd);
        });
    }
    std::string wait() {
        thread.join();
        close(listener);
        std::string lower = head;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        return lower;
    }
};

void test_accept_encoding() {
    std::cerr << "-- accept-encoding\n";
    for (int mode = 0; mode < 3; ++mode) {
        OneShot server;
        xfollow::Options o;
        o.base_url = "http://127.0.0.1:" + std::to_string(server.port);
        if (mode == 1) o.gzip = false;
        if (mode == 2) o.gzip = true;
        bool following = false;
        try {
            following = xfollow::Client::oauth2(ALICE_OAUTH2, o).follow(BOB, ALICE).following;
        } catch (const xfollow::Error &e) {
            std::cerr << "accept-encoding " << mode << ": " << e.what() << "\n";
        }
        const std::string head = server.wait();
        CHECK(following);
        CHECK(head.rfind("post /2/users/" + ALICE + "/following http/1.1\r\n", 0) == 0);
        if (mode == 1)
            CHECK(std::regex_search(head, std::regex("\r\naccept-encoding: identity(\r|$)")));
        else
            CHECK(std::regex_search(head, std::regex("\r\naccept-encoding: [^\r]*gzip")));
    }
}

void test_threads() {
    std::cerr << "-- 8 threads\n";
    reset();
    const xfollow::Client c = alice1();
    const std::vector<std::string> targets = {BOB, ERIN, CAROL, XDEVELOPERS};
    std::mutex m;
    std::vector<std::uint64_t> remaining;
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 5; ++i) {
                try {
                    auto r = c.follow(targets[static_cast<std::size_t>(t + i) % targets.size()]);
                    std::lock_guard<std::mutex> g(m);
                    remaining.push_back(r.rate_limit.endpoint ? r.rate_limit.endpoint->remaining : 999);
                } catch (const xfollow::Error &e) {
                    std::cerr << "thread " << t << ": " << e.what() << "\n";
                    ++errors;
                }
            }
        });
    for (auto &th : threads) th.join();
    CHECK_EQ(errors.load(), 0);
    std::sort(remaining.begin(), remaining.end());
    std::vector<std::uint64_t> want;
    for (std::uint64_t v = 10; v < 50; ++v) want.push_back(v);
    // Each of the 40 follows was counted once by the endpoint window and by the emulator.
    CHECK(remaining == want);
    CHECK_EQ(user_counter(ALICE, "follow_requests"), 40);
    for (const auto &t : {BOB, ERIN, XDEVELOPERS}) CHECK(has_pair("follows", ALICE, t));
    CHECK(has_pair("pending", ALICE, CAROL));
}

}  // namespace

// followers()/following(): one page, tokens to the last page, checks before any request.
void test_lookups() {
    reset();
    for (auto *make : {&alice1, &alice2}) {
        xfollow::Client c = make(opts());
        xfollow::UserPage p = c.followers();
        CHECK(p.users.size() == 2 && p.result_count == 2);
        CHECK(p.users.size() == 2 && p.users[0].id == ERIN && p.users[0].username == "erin" &&
              p.users[0].name == "Erin" && p.users[1].id == BOB);
        CHECK(!p.next_token && !p.previous_token);
        CHECK(p.rate_limit.endpoint && p.rate_limit.endpoint->limit == 300);
        CHECK(!p.users.empty() && p.users[0].rate_limit.endpoint == p.rate_limit.endpoint);

        xfollow::UserPage first = c.followers(ALICE, 1);
        CHECK(first.users.size() == 1 && first.users[0].id == ERIN);
        CHECK(first.next_token && first.next_token->size() == 16);
        if (first.next_token) {
            xfollow::UserPage last = c.followers(ALICE, 1, first.next_token);
            CHECK(last.users.size() == 1 && last.users[0].id == BOB);
            CHECK(!last.next_token && last.previous_token);
        }
        xfollow::UserPage none = c.following();
        CHECK(none.users.empty() && none.result_count == 0 && !none.next_token);
        xfollow::UserPage bobs = c.following(BOB, 1000);
        CHECK(bobs.users.size() == 1 && bobs.users[0].id == ALICE);
    }

    xfollow::Client c = alice1();
    const long before = connections();
    auto big = EXPECT_THROW(xfollow::InvalidArgument, c.followers(std::nullopt, 1001));
    if (big) CHECK_EQ(std::string(big->what()), "max_results must be between 1 and 1000 (got 1001)");
    auto tok = EXPECT_THROW(xfollow::InvalidArgument, c.following(std::nullopt, 0, std::string("a b")));
    if (tok)
        CHECK_EQ(std::string(tok->what()),
                 "pagination token must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -");
    EXPECT_THROW(xfollow::InvalidArgument, c.followers(std::string("abc")));
    EXPECT_THROW(xfollow::InvalidArgument, c.followers(std::string("1\0", 2)));
    CHECK_EQ(connections() - before, 1);  // only this admin request
    auto nf = EXPECT_THROW(xfollow::NotFound, c.followers(std::string("1")));
    if (nf) CHECK_EQ(std::string(nf->what()), "HTTP 200 Not Found Error: Could not find user with id: [1].");
    xfollow::Client ro = xfollow::Client::oauth2(BOB_OAUTH2_READONLY, opts());
    auto scope = EXPECT_THROW(xfollow::Forbidden, ro.followers(ALICE));
    if (scope) CHECK_EQ(scope->http_status(), 403);
}

int main() {
    const char *url = std::getenv("X_API_BASE_URL");
    std::smatch m;
    std::string u = url ? url : "";
    if (!std::regex_match(u, m, std::regex(R"(http://127\.0\.0\.1:([0-9]+))"))) {
        std::cerr << "set X_API_BASE_URL to the emulator's http://127.0.0.1:PORT (scripts/with-emulator.sh)\n";
        return 2;
    }
    base_url = u;
    port = std::stoi(m[1]);
    try {
        test_version();
        test_follow_unfollow(alice1(), "OAuth 1.0a");
        test_follow_unfollow(alice2(), "OAuth 2.0");
        test_moves();
        test_errors();
        test_limits();
        test_invalid_input_sends_nothing();
        test_accept_encoding();
        test_threads();
        test_lookups();
    } catch (const std::exception &e) {
        ++failed;
        std::cerr << "FAILED: unexpected exception: " << e.what() << "\n";
    }
    std::cout << passed << " passed, " << failed << " failed\n";
    return failed == 0 ? 0 : 1;
}
