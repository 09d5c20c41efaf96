// Tests of xfollow.hpp against the emulator at $X_API_BASE_URL (scripts/with-emulator.sh
// starts one). A plain program: every CHECK counts as passed or failed, the last line is
// "N passed, N failed", and the exit status is non-zero when anything failed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

extern char **environ;  // NOLINT: POSIX declares it for posix_spawn's callers

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

// Sends one raw request to 127.0.0.1:to_port and reads the answer until the server closes.
std::string raw_http(int to_port, const std::string &req) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(to_port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        close(fd);
        throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(to_port));
    }
    for (std::size_t sent = 0; sent < req.size();) {
        ssize_t n = send(fd, req.data() + sent, req.size() - sent, 0);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    std::string resp;
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) resp.append(buf, static_cast<std::size_t>(n));
    close(fd);
    return resp;
}

// A minimal HTTP/1.1 request to an emulator's admin API (Connection: close); the body.
std::string admin_at(int emulator_port, const std::string &method, const std::string &path,
                     const std::string &body = "") {
    std::string resp = raw_http(emulator_port, method + " /__emulator/" + path +
                                                   " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                                                   "Content-Type: application/json\r\nContent-Length: " +
                                                   std::to_string(body.size()) + "\r\n\r\n" + body);
    if (resp.compare(0, 12, "HTTP/1.1 200") != 0) throw std::runtime_error("admin " + path + ": " + resp);
    auto at = resp.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : resp.substr(at + 4);
}
std::string admin(const std::string &method, const std::string &path, const std::string &body = "") {
    return admin_at(port, method, path, body);
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

// -- token flows ---------------------------------------------------------------------------
static_assert(!std::is_copy_constructible_v<xfollow::OAuth2PKCE>, "OAuth2PKCE is move-only");
static_assert(std::is_nothrow_move_constructible_v<xfollow::OAuth2PKCE>, "OAuth2PKCE moves without throwing");
static_assert(!std::is_copy_constructible_v<xfollow::OAuth1Flow>, "OAuth1Flow is move-only");
static_assert(std::is_nothrow_move_constructible_v<xfollow::OAuth1Flow>, "OAuth1Flow moves without throwing");
static_assert(!std::is_copy_constructible_v<xfollow::OAuth1RequestToken>, "OAuth1RequestToken is move-only");
static_assert(!std::is_copy_constructible_v<xfollow::RedirectReceiver>, "RedirectReceiver is move-only");
static_assert(std::is_nothrow_move_constructible_v<xfollow::RedirectReceiver>, "receiver moves without throwing");
static_assert(std::is_nothrow_move_constructible_v<xfollow::Secret>, "Secret moves without throwing");
static_assert(std::is_nothrow_move_assignable_v<xfollow::Secret>, "Secret moves without throwing");

const std::vector<std::string> SCOPE_LIST = {"tweet.read", "users.read", "follows.write", "offline.access"};

// What a browser sees for a GET of an http://127.0.0.1:PORT/... URL (no redirect followed).
struct Page {
    int status = 0;
    std::string location;  // the Location header, if any
    std::string body;
};

Page browse(const std::string &url) {
    std::smatch m;
    if (!std::regex_match(url, m, std::regex(R"(http://127\.0\.0\.1:([0-9]+)(/.*))")))
        throw std::runtime_error("not a loopback URL: " + url);
    const std::string resp = raw_http(std::stoi(m[1]), "GET " + m[2].str() +
                                                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    Page p;
    std::smatch s;
    if (std::regex_search(resp, s, std::regex(R"(^HTTP/1\.[01] ([0-9]{3}))"))) p.status = std::stoi(s[1]);
    if (std::regex_search(resp, s, std::regex(R"(\r\n[Ll]ocation: *([^\r]*)\r\n)"))) p.location = s[1];
    const auto at = resp.find("\r\n\r\n");
    if (at != std::string::npos) p.body = resp.substr(at + 4);
    return p;
}

// The value of key in the query of url (not decoded: the emulator sends URL-safe values).
std::string query_value(const std::string &url, const std::string &key) {
    std::smatch m;
    return std::regex_search(url, m, std::regex("[?&]" + key + "=([^&]*)")) ? m[1].str() : std::string();
}

// An emulator of its own for the tests that need a redirect URI registered with the app:
// the demo world plus redirect_uri, on a free port; stopped by the destructor.
class OwnEmulator {
public:
    explicit OwnEmulator(const std::string &redirect_uri) {
        const char *exe = std::getenv("XFOLLOW_EMULATOR");
        const std::string emulator = exe && *exe ? exe : "target/debug/xfollow-emulator";
        // The test runs from the repository's root (make test-cpp).
        std::ifstream in("emulator/demo-world.json");
        if (!in) throw std::runtime_error("cannot read emulator/demo-world.json: run from the repository's root");
        std::stringstream world;
        world << in.rdbuf();
        const std::string text = std::regex_replace(world.str(), std::regex(R"("redirect_uris": \[)"),
                                                    "\"redirect_uris\": [\"" + redirect_uri + "\", ");
        const char *tmp = std::getenv("TMPDIR");
        dir_ = std::string(tmp && *tmp ? tmp : "/tmp") + "/xfollow-cpp-XXXXXX";
        if (mkdtemp(&dir_[0]) == nullptr) throw std::runtime_error("mkdtemp");
        std::ofstream(dir_ + "/world.json") << text;
        const std::string out = dir_ + "/out";
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        const std::string config = dir_ + "/world.json";
        std::vector<std::string> args = {emulator, "--port", "0", "--config", config};
        std::vector<char *> argv;
        for (auto &a : args) argv.push_back(&a[0]);
        argv.push_back(nullptr);
        const int rc = posix_spawn(&pid_, emulator.c_str(), &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) pid_ = -1;
        for (int i = 0; rc == 0 && i < 200 && base_url.empty(); ++i) {
            std::ifstream f(out);
            std::string line;
            if (std::getline(f, line) && line.rfind("listening on ", 0) == 0 && f.good())
                base_url = line.substr(13);
            else
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (base_url.empty()) {
            stop();
            throw std::runtime_error("the emulator " + emulator + " did not start");
        }
        port = std::stoi(base_url.substr(base_url.rfind(':') + 1));
    }
    OwnEmulator(const OwnEmulator &) = delete;
    OwnEmulator &operator=(const OwnEmulator &) = delete;
    ~OwnEmulator() { stop(); }
    std::string admin(const std::string &method, const std::string &path, const std::string &body = "") const {
        return admin_at(port, method, path, body);
    }
    bool has_follow(const std::string &source, const std::string &target) const {
        return array(admin("GET", "state"), "follows")
                   .find("{\"source\":\"" + source + "\",\"target\":\"" + target + "\"}") != std::string::npos;
    }

    std::string base_url;
    int port = 0;

    // A scratch directory, removed with everything in it when the emulator stops.
    const std::string &dir() const { return dir_; }

private:
    void stop() noexcept {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    std::string dir_;
    pid_t pid_ = -1;
};

// One attempt per call and no quota ledger, against base.
xfollow::Options client_opts(const std::string &base) {
    xfollow::Options o = single();
    o.base_url = base;
    return o;
}

xfollow::OAuth2Options flow_opts(const std::string &base) {
    xfollow::OAuth2Options o;
    o.base_url = base;
    return o;
}

void test_secret() {
    std::cerr << "-- secrets\n";
    xfollow::Secret s("abc");
    std::ostringstream shown;
    shown << s;
    CHECK_EQ(shown.str(), std::string("Secret(<redacted>)"));
    CHECK(s.expose() == "abc" && s.size() == 3 && std::string(s.c_str()) == "abc");
    xfollow::Secret t = s;
    CHECK(t == s);
    xfollow::Secret u = std::move(t);
    CHECK(u == s && t.empty() && std::string(t.c_str()).empty());  // NOLINT(bugprone-use-after-move)
    CHECK(xfollow::Secret("abd") != s && xfollow::Secret("ab") != s);
    xfollow::TokenSet ts{xfollow::Secret("a"), xfollow::Secret("r"), 5, {"x"}};
    std::ostringstream tokens;
    tokens << ts.access_token << " " << *ts.refresh_token;
    CHECK_EQ(tokens.str(), std::string("Secret(<redacted>) Secret(<redacted>)"));

    auto e = EXPECT_THROW(xfollow::InvalidArgument,
                          xfollow::Client::oauth2(xfollow::Secret(std::string_view("a\0b", 3)), opts()));
    if (e) CHECK_EQ(std::string(e->what()), "access_token contains a NUL character");
}

void test_token_arguments() {
    std::cerr << "-- token flow arguments\n";
    auto e = EXPECT_THROW(xfollow::InvalidArgument,
                          xfollow::OAuth2PKCE("id", "http://127.0.0.1:8765/callback", {}, flow_opts(base_url)));
    if (e) CHECK_EQ(std::string(e->what()), "at least one scope is needed");
    EXPECT_THROW(xfollow::InvalidArgument,
                 xfollow::OAuth2PKCE("id", "http://127.0.0.1:8765/callback", SCOPE_LIST,
                                     flow_opts("http://api.x.com")));
    e = EXPECT_THROW(xfollow::InvalidArgument, xfollow::RedirectReceiver("http://example.com:1/cb"));
    if (e) CHECK(e->code() == xfollow::ErrorCode::invalid_argument && !e->may_have_reached_server());

    // A refreshing client needs a refresh token and a margin of a second or more.
    xfollow::TokenSet no_refresh{xfollow::Secret("abc"), std::nullopt, std::nullopt, {"tweet.read"}};
    e = EXPECT_THROW(xfollow::InvalidArgument,
                     xfollow::Client::oauth2_refreshing(no_refresh, "demo-client-id", {}, opts()));
    if (e)
        CHECK_EQ(std::string(e->what()), "the token set has no refresh token (request the offline.access scope)");
    xfollow::RefreshOptions zero;
    zero.margin = std::chrono::seconds(0);
    no_refresh.refresh_token = xfollow::Secret("r");
    e = EXPECT_THROW(xfollow::InvalidArgument,
                     xfollow::Client::oauth2_refreshing(no_refresh, "demo-client-id", zero, opts()));
    if (e) CHECK_EQ(std::string(e->what()), "margin must be at least 1 second");
    e = EXPECT_THROW(xfollow::InvalidArgument, alice2().token_set());
    if (e) CHECK(e->code() == xfollow::ErrorCode::invalid_argument);

    xfollow::OAuth2PKCE flow("demo-client-id", "http://127.0.0.1:8765/callback", SCOPE_LIST, flow_opts(base_url));
    xfollow::OAuth2PKCE moved = std::move(flow);
    EXPECT_THROW(std::logic_error, flow.authorization_request());  // NOLINT(bugprone-use-after-move)
    e = EXPECT_THROW(xfollow::InvalidArgument, moved.revoke(""));
    if (e) CHECK(e->code() == xfollow::ErrorCode::invalid_argument);
}

void test_receiver_timeout() {
    std::cerr << "-- redirect receiver timeout\n";
    xfollow::RedirectReceiver r("http://127.0.0.1:0/cb");
    const std::string uri = r.redirect_uri();
    CHECK(uri.rfind("http://127.0.0.1:", 0) == 0 && uri != "http://127.0.0.1:0/cb" && uri.size() > 20);
    auto t = EXPECT_THROW(xfollow::Timeout, r.wait("st", std::chrono::milliseconds(50)));
    if (t) {
        CHECK(t->code() == xfollow::ErrorCode::timeout);
        CHECK_EQ(std::string(t->what()), "no authorization callback arrived within 0.05 s");
    }
    auto used = EXPECT_THROW(xfollow::InvalidArgument, r.wait("st", std::chrono::milliseconds(50)));
    if (used) CHECK_EQ(std::string(used->what()), "the redirect receiver was already used");
}

// What the receiver makes of callbacks that are not this login's code: another path, another
// state (the wait goes on), a denial, no code.
void test_receiver_callbacks() {
    std::cerr << "-- redirect receiver callbacks\n";
    {
        xfollow::RedirectReceiver r("http://127.0.0.1:0/callback");
        const std::string uri = r.redirect_uri();
        auto waiting = std::async(std::launch::async, [&] { return r.wait("S", std::chrono::milliseconds(1500)); });
        const Page other = browse(uri.substr(0, uri.rfind('/')) + "/favicon.ico");
        const Page forged = browse(uri + "?state=T&code=c");
        CHECK_EQ(other.status, 404);
        CHECK_EQ(forged.status, 400);
        try {
            (void)waiting.get();
            CHECK(!"a forged callback ended the wait");
        } catch (const xfollow::Timeout &e) {
            CHECK_EQ(std::string(e.what()), "no authorization callback arrived within 1.5 s");
            CHECK(e.code() == xfollow::ErrorCode::timeout);
        }
    }
    {
        xfollow::RedirectReceiver r("http://127.0.0.1:0/callback");
        auto waiting = std::async(std::launch::async, [&] { return r.wait("S", std::chrono::seconds(5)); });
        const Page denied =
            browse(r.redirect_uri() + "?state=S&error=access_denied&error_description=The+user+said+no");
        CHECK_EQ(denied.status, 400);
        CHECK(denied.body.find("The authorization was not granted.") != std::string::npos);
        auto e = EXPECT_THROW(xfollow::AuthError, waiting.get());
        if (e) {
            CHECK_EQ(std::string(e->what()), "authorization refused (access_denied): The user said no");
            CHECK(e->code() == xfollow::ErrorCode::unauthorized && !e->may_have_reached_server());
        }
    }
    {
        xfollow::RedirectReceiver r("http://127.0.0.1:0/callback");
        auto waiting = std::async(std::launch::async, [&] { return r.wait("S", std::chrono::seconds(5)); });
        const Page no_code = browse(r.redirect_uri() + "?state=S");
        CHECK_EQ(no_code.status, 400);
        auto e = EXPECT_THROW(xfollow::ProtocolError, waiting.get());
        if (e) CHECK_EQ(std::string(e->what()), "unexpected answer: callback has no code");
    }
}

// The PKCE flow end to end, the test playing the browser: the authorize page redirects
// to the receiver, which hands the code over; exchange, refresh, revoke.
void test_pkce() {
    std::cerr << "-- OAuth 2.0 PKCE\n";
    xfollow::RedirectReceiver receiver("http://127.0.0.1:0/callback");
    const std::string redirect = receiver.redirect_uri();
    OwnEmulator emu(redirect);
    xfollow::OAuth2PKCE pkce("demo-client-id", redirect, SCOPE_LIST, flow_opts(emu.base_url));
    CHECK_EQ(pkce.redirect_uri(), redirect);
    xfollow::AuthorizationRequest req = pkce.authorization_request();
    CHECK(req.url.rfind(emu.base_url + "/i/oauth2/authorize?response_type=code&client_id=demo-client-id&", 0) == 0);
    CHECK_EQ(query_value(req.url, "state"), req.state);
    CHECK_EQ(query_value(req.url, "code_challenge_method"), std::string("S256"));
    CHECK(req.code_verifier.size() >= 43 && req.code_verifier.size() <= 128);
    CHECK(req.url.find(std::string(req.code_verifier.expose())) == std::string::npos);

    Page authorize = browse(req.url);
    CHECK_EQ(authorize.status, 302);
    CHECK(authorize.location.rfind(redirect + "?", 0) == 0);
    auto waiting = std::async(std::launch::async, [&] { return receiver.wait(req.state, std::chrono::seconds(20)); });
    // Another login's callback (another state) is refused and the wait goes on.
    Page forged = browse(redirect + "?state=not-this-login&code=stolen");
    Page delivered = browse(authorize.location);
    const xfollow::Secret code = waiting.get();
    CHECK_EQ(forged.status, 400);
    CHECK(forged.body.find("state mismatch") != std::string::npos);
    CHECK_EQ(delivered.status, 200);
    CHECK(delivered.body.find("Authorization received") != std::string::npos);
    CHECK(code.expose() == query_value(authorize.location, "code"));

    xfollow::TokenSet tokens = pkce.exchange(code, req.code_verifier);
    CHECK(tokens.scopes == SCOPE_LIST);
    CHECK(tokens.refresh_token && !tokens.refresh_token->empty());
    CHECK(tokens.expires_at && *tokens.expires_at > 1700000000u);
    CHECK_EQ(xfollow::Client::oauth2(tokens.access_token, client_opts(emu.base_url)).me().id, ALICE);

    // The code is spent: the provider's answer, exactly.
    auto spent = EXPECT_THROW(xfollow::AuthError, pkce.exchange(code, req.code_verifier));
    if (spent) {
        CHECK(spent->code() == xfollow::ErrorCode::unauthorized);
        CHECK_EQ(std::string(spent->what()), "token endpoint refused the request (HTTP 400, invalid_request): Value "
                                             "passed for the authorization code was invalid.");
        CHECK(spent->title() == std::optional<std::string>("invalid_request"));
        CHECK_EQ(spent->http_status(), 400);
    }

    // Refresh: a new pair; the old refresh token is spent.
    xfollow::TokenSet renewed = pkce.refresh(*tokens.refresh_token);
    CHECK(renewed.access_token != tokens.access_token && renewed.refresh_token &&
          *renewed.refresh_token != *tokens.refresh_token);
    CHECK(renewed.scopes == SCOPE_LIST);
    auto again = EXPECT_THROW(xfollow::AuthError, pkce.refresh(*tokens.refresh_token));
    if (again) {
        CHECK_EQ(again->http_status(), 400);
        CHECK_EQ(std::string(again->what()),
                 "token endpoint refused the request (HTTP 400, invalid_request): Value passed for the token was invalid.");
    }

    // Revoke the access token: the API refuses it; revoke the refresh token: no refresh.
    const xfollow::Options o = client_opts(emu.base_url);
    CHECK_EQ(xfollow::Client::oauth2(renewed.access_token, o).me().id, ALICE);
    pkce.revoke(renewed.access_token);
    auto revoked = EXPECT_THROW(xfollow::AuthError, xfollow::Client::oauth2(renewed.access_token, o).me());
    if (revoked) CHECK_EQ(revoked->http_status(), 401);
    pkce.revoke(*renewed.refresh_token, xfollow::TokenKind::refresh);
    auto gone = EXPECT_THROW(xfollow::AuthError, pkce.refresh(*renewed.refresh_token));
    if (gone) CHECK_EQ(gone->http_status(), 400);
}

// Logs alice in through PKCE, the code taken from the authorize page's redirect (the
// receiver's part is test_pkce's).
xfollow::TokenSet pkce_login(const xfollow::OAuth2PKCE &pkce) {
    const xfollow::AuthorizationRequest req = pkce.authorization_request();
    const Page authorize = browse(req.url);
    if (authorize.status != 302 || query_value(authorize.location, "state") != req.state)
        throw std::runtime_error("PKCE login failed: " + authorize.body);
    return pkce.exchange(query_value(authorize.location, "code"), req.code_verifier);
}

// A refreshing client whose access token expired on the server (the emulator's clock moved
// past it): the follow is answered 401, the client refreshes once, persists the new set
// through on_refresh and sends again. With the refresh token revoked the refresh fails
// once, with the provider's message, and nothing is persisted.
void test_refreshing_client() {
    std::cerr << "-- refreshing client\n";
    const std::string redirect = "http://127.0.0.1:8765/callback";  // the demo app's
    OwnEmulator emu(redirect);
    xfollow::OAuth2PKCE pkce("demo-client-id", redirect, SCOPE_LIST, flow_opts(emu.base_url));
    const xfollow::TokenSet login = pkce_login(pkce);

    std::mutex mu;
    std::vector<xfollow::TokenSet> persisted;
    xfollow::RefreshOptions refresh;
    refresh.on_refresh = [&](const xfollow::TokenSet &t) {
        std::lock_guard<std::mutex> lock(mu);
        persisted.push_back(t);
    };
    const std::string store = emu.dir() + "/tokens.json";
    refresh.token_store = store;
    {
        xfollow::Client client =
            xfollow::Client::oauth2_refreshing(login, "demo-client-id", refresh, client_opts(emu.base_url));
        CHECK(client.token_set().access_token == login.access_token);
        CHECK(client.follow(BOB, ALICE).following);
        CHECK(persisted.empty());

        emu.admin("POST", "clock", "{\"advance_seconds\": 7300}");
        xfollow::FollowResult r = client.follow(ERIN, ALICE);
        CHECK(r.following && r.state == xfollow::FollowState::following);
        CHECK(emu.has_follow(ALICE, ERIN));
        CHECK_EQ(persisted.size(), 1u);
        const xfollow::TokenSet now = client.token_set();
        CHECK(now.access_token != login.access_token);
        CHECK(!persisted.empty() && persisted[0].access_token == now.access_token &&
              persisted[0].refresh_token == now.refresh_token && persisted[0].scopes == SCOPE_LIST);
        struct stat st{};
        CHECK(stat(store.c_str(), &st) == 0 && (st.st_mode & 0777) == 0600);
        // The login's refresh token was spent by the client's refresh.
        EXPECT_THROW(xfollow::AuthError, pkce.refresh(*login.refresh_token));

        // With its refresh token revoked the refresh fails once, with the provider's message.
        pkce.revoke(*now.refresh_token, xfollow::TokenKind::refresh);
        emu.admin("POST", "clock", "{\"advance_seconds\": 7300}");
        auto e = EXPECT_THROW(xfollow::AuthError, client.unfollow(ERIN, ALICE));
        if (e)
            CHECK_EQ(std::string(e->what()),
                     "refreshing the OAuth 2.0 access token failed: token endpoint refused the request (HTTP 400, "
                     "invalid_request): Value passed for the token was invalid.");
        CHECK_EQ(persisted.size(), 1u);
        CHECK(emu.has_follow(ALICE, ERIN));
    }

    // An on_refresh that throws does not stop the call: the new set is used anyway. A
    // margin longer than the token's life refreshes before the first call.
    int thrown = 0;
    refresh.on_refresh = [&](const xfollow::TokenSet &) {
        ++thrown;
        throw std::runtime_error("cannot save");
    };
    refresh.token_store.reset();
    refresh.margin = std::chrono::hours(3);
    const xfollow::TokenSet second = pkce_login(pkce);
    xfollow::Client client =
        xfollow::Client::oauth2_refreshing(second, "demo-client-id", refresh, client_opts(emu.base_url));
    CHECK(client.follow(BOB, ALICE).following);
    CHECK_EQ(thrown, 1);
    CHECK(client.token_set().access_token != second.access_token);
}

// A refreshing client's client_id names the app in a shared quota ledger: with one follow
// per app, another client id still has its own.
void test_refreshing_client_quota_app() {
    std::cerr << "-- refreshing client: the app in the quota ledger\n";
    const std::string redirect = "http://127.0.0.1:8765/callback";
    OwnEmulator emu(redirect);
    xfollow::OAuth2PKCE pkce("demo-client-id", redirect, SCOPE_LIST, flow_opts(emu.base_url));
    const xfollow::TokenSet login = pkce_login(pkce);
    const std::string db = emu.dir() + "/quota.db";
    xfollow::Options o = client_opts(emu.base_url);
    o.quota = "sqlite:" + db;
    o.quota_limits = xfollow::Options::QuotaLimits{400, 1, 500};
    {
        const auto first = xfollow::Client::oauth2_refreshing(login, "demo-client-id", {}, o);
        CHECK(first.follow(BOB, ALICE).following);
        const auto same_app = xfollow::Client::oauth2_refreshing(login, "demo-client-id", {}, o);
        auto qe = EXPECT_THROW(xfollow::QuotaExhausted, same_app.follow(ERIN, ALICE));
        if (qe) CHECK(!qe->may_have_reached_server());
        const auto other_app = xfollow::Client::oauth2_refreshing(login, "another-client-id", {}, o);
        CHECK(other_app.follow(ERIN, ALICE).following);
    }
}

// Client::oauth2 with Options::client_id: with one follow per app, another client id still
// has its own.
void test_oauth2_client_id_names_the_app() {
    std::cerr << "-- OAuth 2.0 client id: the app in the quota ledger\n";
    OwnEmulator emu("http://127.0.0.1:8765/callback");
    xfollow::Options o = client_opts(emu.base_url);
    o.quota = "sqlite:" + emu.dir() + "/quota.db";
    o.quota_limits = xfollow::Options::QuotaLimits{400, 1, 500};
    o.client_id = "first-app";
    CHECK(xfollow::Client::oauth2(ALICE_OAUTH2, o).follow(BOB).following);
    const auto same_app = xfollow::Client::oauth2(ALICE_OAUTH2, o);
    auto qe = EXPECT_THROW(xfollow::QuotaExhausted, same_app.follow(ERIN));
    if (qe) CHECK(!qe->may_have_reached_server());
    o.client_id = "second-app";
    CHECK(xfollow::Client::oauth2(ALICE_OAUTH2, o).follow(ERIN).following);
}

// The OAuth 1.0a PIN flow: the emulator's authorize page shows the PIN.
void test_oauth1_pin() {
    std::cerr << "-- OAuth 1.0a PIN\n";
    reset();
    xfollow::OAuth1Options o;
    o.base_url = base_url;
    xfollow::OAuth1Flow flow(CK, CS, o);
    auto bad = EXPECT_THROW(xfollow::InvalidArgument, flow.request_token("admin"));
    if (bad) CHECK(!bad->may_have_reached_server());
    xfollow::OAuth1RequestToken req = flow.request_token("write");
    CHECK_EQ(req.authorize_url(), base_url + "/oauth/authorize?oauth_token=" + req.token());
    const std::string url = flow.authorize_url(req, true, true, "bob");
    CHECK_EQ(url, base_url + "/oauth/authenticate?oauth_token=" + req.token() + "&force_login=true&screen_name=bob");
    Page page = browse(url);
    std::smatch m;
    CHECK(std::regex_search(page.body, m, std::regex(R"(<code id="pin">([0-9]+)</code>)")));
    if (m.empty()) return;
    const xfollow::Secret pin(m[1].str());

    // A wrong PIN is refused and does not spend the request token.
    const char *other_pin = pin.expose() == "0000000" ? "1111111" : "0000000";
    auto wrong = EXPECT_THROW(xfollow::AuthError, flow.access_token(req, other_pin));
    if (wrong) {
        CHECK(wrong->code() == xfollow::ErrorCode::unauthorized);
        CHECK_EQ(wrong->http_status(), 401);
        CHECK_EQ(std::string(wrong->what()),
                 "HTTP 401: Error processing your OAuth request: Invalid oauth_verifier parameter");
        CHECK(wrong->detail() == std::optional<std::string>(
                                     "Error processing your OAuth request: Invalid oauth_verifier parameter"));
    }
    xfollow::OAuth1Credentials creds = flow.access_token(req, pin);
    CHECK(creds.user_id == std::optional<std::string>(BOB));
    CHECK(creds.screen_name == std::optional<std::string>("bob"));
    CHECK(creds.token.expose().substr(0, BOB.size() + 1) == BOB + "-");
    CHECK(creds.token_secret.size() > 10);
    auto spent = EXPECT_THROW(xfollow::AuthError, flow.access_token(req, pin));
    if (spent) CHECK_EQ(spent->http_status(), 401);

    xfollow::Client bob = xfollow::Client::oauth1(CK, CS, creds, opts());
    CHECK(bob.follow(ERIN).following);
    CHECK(has_pair("follows", BOB, ERIN));
}

// The OAuth 1.0a callback flow: the authorize page redirects to the receiver.
void test_oauth1_callback() {
    std::cerr << "-- OAuth 1.0a callback\n";
    xfollow::RedirectReceiver receiver("http://127.0.0.1:0/callback");
    OwnEmulator emu(receiver.redirect_uri());
    xfollow::OAuth1Options o;
    o.base_url = emu.base_url;
    o.callback = receiver.redirect_uri();
    xfollow::OAuth1Flow flow(CK, CS, o);
    xfollow::OAuth1RequestToken req = flow.request_token();
    Page authorize = browse(req.authorize_url() + "&as_user=erin");
    CHECK_EQ(authorize.status, 302);
    CHECK(authorize.location.rfind(receiver.redirect_uri() + "?", 0) == 0);
    auto waiting = std::async(std::launch::async, [&] { return receiver.wait_oauth1(req, std::chrono::seconds(20)); });
    Page forged = browse(receiver.redirect_uri() + "?oauth_token=another&oauth_verifier=x");
    Page delivered = browse(authorize.location);
    const xfollow::Secret verifier = waiting.get();
    CHECK_EQ(forged.status, 400);
    CHECK(forged.body.find("token mismatch") != std::string::npos);
    CHECK_EQ(delivered.status, 200);
    CHECK(verifier.expose() == query_value(authorize.location, "oauth_verifier"));

    // A callback for another request token is refused before any exchange.
    xfollow::OAuth1RequestToken other = flow.request_token();
    auto e = EXPECT_THROW(xfollow::AuthError, flow.access_token_from_callback(other, authorize.location));
    if (e) CHECK(e->code() == xfollow::ErrorCode::unauthorized && !e->may_have_reached_server());
    xfollow::OAuth1Credentials creds = flow.access_token_from_callback(req, authorize.location);
    CHECK(creds.user_id == std::optional<std::string>(ERIN));
    CHECK(creds.screen_name == std::optional<std::string>("erin"));
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
        test_secret();
        test_token_arguments();
        test_receiver_timeout();
        test_receiver_callbacks();
        test_pkce();
        test_refreshing_client();
        test_refreshing_client_quota_app();
        test_oauth2_client_id_names_the_app();
        test_oauth1_pin();
        test_oauth1_callback();
    } catch (const std::exception &e) {
        ++failed;
        std::cerr << "FAILED: unexpected exception: " << e.what() << "\n";
    }
    std::cout << passed << " passed, " << failed << " failed\n";
    return failed == 0 ? 0 : 1;
}
