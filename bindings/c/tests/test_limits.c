/*
 * C ABI tests of X's limits: the new result codes, the retry settings and the on-retry
 * callback (a 503 fault twice, then success), cancelling, the quota ledger's settings,
 * refusal code and status, and the rate-limit snapshot per endpoint; NULL and invalid
 * arguments throughout. Runs against the emulator at $X_API_BASE_URL (its admin API sets
 * the faults). Built with -Wall -Wextra -Werror; run under AddressSanitizer and valgrind.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define XDEV "783214"
static char quota_url[256];

/* Sends a request with a JSON body to the emulator's admin API; returns the HTTP status. */
static int admin(const char *method, const char *path, const char *json) {
    unsigned port = 0;
    int fd, status = 0;
    char req[2048], resp[512];
    ssize_t n;
    struct sockaddr_in addr;
    if (sscanf(base_url, "http://127.0.0.1:%u", &port) != 1)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    snprintf(req, sizeof req,
             "%s /__emulator/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
             method, path, strlen(json), json);
    if (write(fd, req, strlen(req)) == (ssize_t)strlen(req)) {
        n = read(fd, resp, sizeof resp - 1);
        if (n > 12) {
            resp[n] = '\0';
            sscanf(resp, "HTTP/1.1 %d", &status);
        }
    }
    close(fd);
    return status;
}

static void test_codes(void) {
    CHECK(X_ERR_QUOTA_EXHAUSTED == 13 && X_ERR_QUOTA_STORE == 14 && X_ERR_CANCELLED == 15);
    CHECK(strcmp(x_result_str(X_ERR_QUOTA_EXHAUSTED),
                 "daily quota exhausted (refused locally, not sent)") == 0);
    CHECK(strcmp(x_result_str(X_ERR_QUOTA_STORE), "quota ledger store error") == 0);
    CHECK(strcmp(x_result_str(X_ERR_CANCELLED), "cancelled") == 0);
    CHECK(strcmp(x_result_str(X_ERR_TOKEN_STORE + 1), "unknown result code") == 0);
}

static void test_invalid_arguments(void) {
    x_config *cfg = NULL;
    x_client *c = (x_client *)0x1;
    x_quota_status *s = (x_quota_status *)0x1;
    uint64_t l = 7;

    CHECK(x_config_set_retry(NULL, 3, 500, 8000, 60000) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_config_set_retry_jitter(NULL, false) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_config_set_on_retry(NULL, NULL, NULL) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_config_set_quota(NULL, "memory:") == X_ERR_INVALID_ARGUMENT);
    CHECK(x_config_set_quota_limits(NULL, 1, 2, 3) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_config_set_client_id(NULL, "id") == X_ERR_INVALID_ARGUMENT);
    CHECK(x_client_cancel(NULL) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_client_cancel_reset(NULL) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_client_quota_status(NULL, NULL, &s) == X_ERR_INVALID_ARGUMENT);
    CHECK(s == (x_quota_status *)0x1);
    CHECK(x_client_rate_limit(NULL, X_ENDPOINT_FOLLOW, X_WINDOW_ENDPOINT, &l, NULL, NULL) == false);
    CHECK(l == 7);
    CHECK(x_quota_status_user_used(NULL) == 0 && x_quota_status_user_remaining(NULL) == -1);
    CHECK(x_quota_status_app_used(NULL) == 0 && x_quota_status_app_remaining(NULL) == -1);
    CHECK(x_quota_status_unfollows_used(NULL) == 0 && x_quota_status_unfollows_remaining(NULL) == -1);
    CHECK(x_quota_status_next_free_at(NULL) == 0 && x_quota_status_at(NULL) == 0);
    x_quota_status_free(NULL);

    cfg = config_with(NULL);
    CHECK(x_config_set_retry(cfg, 0, 500, 8000, 60000) == X_ERR_INVALID_ARGUMENT);
    CHECK_PREFIX(x_last_error_message(), "max_attempts must be between 1 and 100");
    CHECK(x_config_set_retry(cfg, 101, 500, 8000, 60000) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_config_set_retry(cfg, 3, 9000, 8000, 60000) == X_ERR_INVALID_ARGUMENT);
    CHECK_PREFIX(x_last_error_message(), "base_delay_ms must not exceed max_delay_ms");
    CHECK(x_config_set_retry(cfg, 3, 0, 0, X_MAX_RETRY_DELAY_MS + 1) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_config_set_quota(cfg, NULL) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_config_set_client_id(cfg, "") == X_ERR_INVALID_ARGUMENT);
    CHECK(x_config_set_client_id(cfg, NULL) == X_SUCCESS);
    CHECK(x_config_set_quota(cfg, "postgres://user:pw@host/db") == X_SUCCESS);
    CHECK(x_client_new(cfg, &c) == X_ERR_INVALID_ARGUMENT);
    CHECK(c == (x_client *)0x1);
    CHECK_PREFIX(x_last_error_message(), "invalid quota store URL: unknown scheme 'postgres'");
    CHECK(strstr(x_last_error_message(), "pw") == NULL);

    /* With the ledger off there is no status. */
    CHECK(x_config_set_quota(cfg, "off") == X_SUCCESS);
    CHECK(x_client_new(cfg, &c) == X_SUCCESS);
    CHECK(x_client_quota_status(c, NULL, NULL) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_client_quota_status(c, NULL, &s) == X_ERR_INVALID_ARGUMENT);
    CHECK_PREFIX(x_last_error_message(), "the quota ledger is off");
    CHECK(x_client_quota_status(c, "not-an-id", &s) == X_ERR_INVALID_ARGUMENT);
    CHECK(s == (x_quota_status *)0x1);
    CHECK(x_client_rate_limit(c, 99, X_WINDOW_ENDPOINT, &l, NULL, NULL) == false);
    CHECK(x_client_rate_limit(c, X_ENDPOINT_FOLLOW, X_WINDOW_ENDPOINT, &l, NULL, NULL) == false);
    CHECK(l == 7);
    x_client_free(c);
    x_config_free(cfg);
}

struct seen {
    int calls;
    uint32_t attempts[4];
    x_result reasons[4];
    int32_t statuses[4];
    uint64_t delays[4];
};

static void on_retry(void *user_data, uint32_t attempt, x_result reason, int32_t http_status,
                     uint64_t delay_ms) {
    struct seen *s = (struct seen *)user_data;
    if (s->calls < 4) {
        s->attempts[s->calls] = attempt;
        s->reasons[s->calls] = reason;
        s->statuses[s->calls] = http_status;
        s->delays[s->calls] = delay_ms;
    }
    s->calls++;
}

static void test_retry_callback(void) {
    struct seen seen;
    x_config *cfg = config_with(NULL);
    x_client *c = NULL;
    x_follow_result *r = NULL;
    memset(&seen, 0, sizeof seen);
    CHECK(x_config_set_quota(cfg, "off") == X_SUCCESS);
    CHECK(x_config_set_retry(cfg, 3, 2, 4, 60000) == X_SUCCESS);
    CHECK(x_config_set_retry_jitter(cfg, false) == X_SUCCESS);
    CHECK(x_config_set_on_retry(cfg, on_retry, &seen) == X_SUCCESS);
    CHECK(x_client_new(cfg, &c) == X_SUCCESS);
    x_config_free(cfg);

    CHECK(admin("POST", "faults", "{\"route\":\"POST /2/users/*/following\",\"kind\":\"status\","
                               "\"status\":503,\"count\":2}") == 200);
    CHECK(x_follow(c, NULL, BOB, &r) == X_SUCCESS);
    CHECK(r != NULL && x_follow_result_following(r));
    x_follow_result_free(r);
    CHECK(seen.calls == 2);
    CHECK(seen.attempts[0] == 1 && seen.attempts[1] == 2);
    CHECK(seen.reasons[0] == X_ERR_SERVER && seen.reasons[1] == X_ERR_SERVER);
    CHECK(seen.statuses[0] == 503 && seen.statuses[1] == 503);
    CHECK(seen.delays[0] == 2 && seen.delays[1] == 4);

    /* No retry on 403. */
    seen.calls = 0;
    CHECK(admin("POST", "faults", "{\"route\":\"POST /2/users/*/following\",\"kind\":\"status\","
                               "\"status\":403,\"count\":3}") == 200);
    r = NULL;
    CHECK(x_follow(c, NULL, BOB, &r) == X_ERR_FORBIDDEN);
    CHECK(r == NULL && seen.calls == 0);
    CHECK(admin("DELETE", "faults", "") == 200);

    /* Cancelled: every call fails at once until reset. */
    CHECK(x_client_cancel(c) == X_SUCCESS);
    CHECK(x_follow(c, NULL, BOB, &r) == X_ERR_CANCELLED);
    CHECK_PREFIX(x_last_error_message(), "cancelled before the first attempt");
    CHECK(x_last_error_may_have_reached_server() == false);
    CHECK(x_client_cancel_reset(c) == X_SUCCESS);
    CHECK(x_follow(c, NULL, BOB, &r) == X_SUCCESS);
    x_follow_result_free(r);

    /* Removing the callback. */
    cfg = config_with(NULL);
    CHECK(x_config_set_on_retry(cfg, on_retry, &seen) == X_SUCCESS);
    CHECK(x_config_set_on_retry(cfg, NULL, NULL) == X_SUCCESS);
    x_config_free(cfg);
    x_client_free(c);
}

static void test_cancel_is_per_client(void) {
    x_config *cfg = config_with(NULL);
    x_client *a = NULL, *b = NULL;
    x_follow_result *r = NULL;
    CHECK(x_config_set_quota(cfg, "off") == X_SUCCESS);
    CHECK(x_client_new(cfg, &a) == X_SUCCESS);
    CHECK(x_client_new(cfg, &b) == X_SUCCESS);
    x_config_free(cfg);
    CHECK(x_client_cancel(a) == X_SUCCESS);
    CHECK(x_follow(a, NULL, BOB, &r) == X_ERR_CANCELLED);
    CHECK(x_follow(b, NULL, BOB, &r) == X_SUCCESS);
    x_follow_result_free(r);
    x_client_free(a);
    x_client_free(b);
}

static void test_quota(void) {
    x_config *cfg = config_with(NULL);
    x_client *c = NULL;
    x_follow_result *r = NULL;
    x_quota_status *s = NULL;
    uint64_t limit = 0, remaining = 0, reset = 0;
    int64_t next;
    CHECK(x_config_set_quota(cfg, quota_url) == X_SUCCESS);
    CHECK(x_config_set_quota_limits(cfg, 2, 0, 500) == X_SUCCESS);
    CHECK(x_client_new(cfg, &c) == X_SUCCESS);
    x_config_free(cfg);

    CHECK(x_follow(c, NULL, ERIN, &r) == X_SUCCESS);
    x_follow_result_free(r);
    CHECK(x_follow(c, NULL, XDEV, &r) == X_SUCCESS);
    x_follow_result_free(r);
    r = NULL;
    CHECK(x_follow(c, NULL, BOB, &r) == X_ERR_QUOTA_EXHAUSTED);
    CHECK(r == NULL);
    CHECK_PREFIX(x_last_error_message(), "daily quota exhausted: 2 of 2 follows per 24 hours used by this user");
    CHECK(x_last_error_may_have_reached_server() == false);
    CHECK(x_last_error_http_status() == 0);
    next = x_last_error_next_free_at();
    CHECK(next > 1700000000);

    CHECK(x_client_quota_status(c, NULL, &s) == X_SUCCESS);
    CHECK(x_quota_status_user_used(s) == 2);
    CHECK(x_quota_status_user_remaining(s) == 0);
    CHECK(x_quota_status_app_used(s) == 2);
    CHECK(x_quota_status_app_remaining(s) == -1);
    CHECK(x_quota_status_unfollows_used(s) == 0);
    CHECK(x_quota_status_unfollows_remaining(s) == 500);
    CHECK(x_quota_status_next_free_at(s) == next);
    CHECK(x_quota_status_unfollows_next_free_at(s) == 0);
    CHECK(x_quota_status_at(s) + 86400 >= next);
    x_quota_status_free(s);
    s = NULL;
    CHECK(x_client_quota_status(c, BOB, &s) == X_SUCCESS);
    CHECK(x_quota_status_user_used(s) == 0 && x_quota_status_app_used(s) == 2);
    x_quota_status_free(s);

    /* The latest windows of the follow endpoint; nothing for endpoints never called. */
    CHECK(x_client_rate_limit(c, X_ENDPOINT_FOLLOW, X_WINDOW_ENDPOINT, &limit, &remaining, &reset));
    CHECK(limit == 50 && remaining < 50 && reset > 1700000000);
    CHECK(x_client_rate_limit(c, X_ENDPOINT_FOLLOW, X_WINDOW_USER_24H, &limit, NULL, NULL));
    CHECK(limit == 400);
    CHECK(x_client_rate_limit(c, X_ENDPOINT_FOLLOW, X_WINDOW_APP_24H, &limit, NULL, NULL));
    CHECK(limit == 1000);
    CHECK(!x_client_rate_limit(c, X_ENDPOINT_ME, X_WINDOW_ENDPOINT, &limit, NULL, NULL));
    CHECK(!x_client_rate_limit(c, X_ENDPOINT_FOLLOW, 7, &limit, NULL, NULL));
    x_client_free(c);
}

static void test_exhausted_window(void) {
    x_config *cfg = config_with(NULL);
    x_client *c = NULL;
    x_follow_result *r = NULL;
    uint64_t before, after;
    CHECK(x_config_set_quota(cfg, "off") == X_SUCCESS);
    CHECK(x_config_set_retry(cfg, 3, 1, 1, 60000) == X_SUCCESS);
    CHECK(x_client_new(cfg, &c) == X_SUCCESS);
    x_config_free(cfg);
    /* A reset in 2100 is believed a day away: returned at once, naming the user's 24-hour
     * window. */
    CHECK(admin("POST", "faults", "{\"route\":\"POST /2/users/*/following\",\"kind\":\"status\","
                               "\"status\":429,\"count\":3,\"headers\":{"
                               "\"x-user-limit-24hour-limit\":\"400\","
                               "\"x-user-limit-24hour-remaining\":\"0\","
                               "\"x-user-limit-24hour-reset\":\"4102444800\"}}") == 200);
    before = (uint64_t)time(NULL);
    CHECK(x_follow(c, NULL, BOB, &r) == X_ERR_RATE_LIMITED);
    after = (uint64_t)time(NULL);
    CHECK(x_last_error_retry_at() >= before + 86400 && x_last_error_retry_at() <= after + 86400);
    CHECK(x_last_error_exhausted_window() == X_WINDOW_USER_24H);
    CHECK(x_last_error_next_free_at() == 0);
    CHECK(admin("DELETE", "faults", "") == 200);
    CHECK(x_follow(c, NULL, BOB, &r) == X_SUCCESS);
    CHECK(x_last_error_exhausted_window() == -1);
    x_follow_result_free(r);
    x_client_free(c);
}

int main(void) {
    if (read_base_url() != 0)
        return 2;
    snprintf(quota_url, sizeof quota_url, "sqlite:/tmp/xfollow-c-limits-%ld.db", (long)getpid());
    test_codes();
    test_invalid_arguments();
    test_retry_callback();
    test_cancel_is_per_client();
    test_quota();
    test_exhausted_window();
    unlink(quota_url + strlen("sqlite:"));
    {
        char more[300];
        snprintf(more, sizeof more, "%s-wal", quota_url + strlen("sqlite:"));
        unlink(more);
        snprintf(more, sizeof more, "%s-shm", quota_url + strlen("sqlite:"));
        unlink(more);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
