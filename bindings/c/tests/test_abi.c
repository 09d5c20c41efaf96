/*
 * C ABI tests: NULL and malformed arguments, bad UTF-8, out-parameters untouched on
 * failure, the panic boundary, and real calls against the emulator at $X_API_BASE_URL.
 * Built with -Wall -Wextra -Werror and run under AddressSanitizer and valgrind.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void test_static_things(void) {
    int code;
    CHECK_STR(x_version(), "0.1.0");
    CHECK(x_version_number() == X_VERSION_NUMBER);
    CHECK_STR(x_result_str(X_SUCCESS), "ok");
    CHECK_STR(x_result_str(X_ERR_INVALID_ARGUMENT), "invalid argument");
    CHECK_STR(x_result_str(X_ERR_PANIC), "internal panic");
    CHECK_STR(x_result_str(-1), "unknown result code");
    CHECK_STR(x_result_str(999), "unknown result code");
    for (code = X_SUCCESS; code <= X_ERR_PANIC; code++)
        CHECK(x_result_str(code) != NULL && strcmp(x_result_str(code), "unknown result code") != 0);
    /* Numbering is part of the ABI. */
    CHECK(X_ERR_INVALID_ARGUMENT == 1 && X_ERR_UNAUTHORIZED == 2 && X_ERR_FORBIDDEN == 3 &&
          X_ERR_NOT_FOUND == 4 && X_ERR_RATE_LIMITED == 5 && X_ERR_NETWORK == 6 &&
          X_ERR_TIMEOUT == 7 && X_ERR_TLS == 8 && X_ERR_SERVER == 9 && X_ERR_PROTOCOL == 10 &&
          X_ERR_API == 11 && X_ERR_PANIC == 12);
}

static void test_panic_boundary(void) {
    CHECK(x_test_panic() == X_ERR_PANIC);
    CHECK(x_last_error_code() == X_ERR_PANIC);
    CHECK_STR(x_last_error_message(), "internal panic caught at the C boundary: x_test_panic: deliberate panic for tests");
    CHECK(x_last_error_http_status() == 0);
}

static void test_null_arguments(void) {
    x_config *cfg = NULL;
    x_client *c = (x_client *)0x1; /* must stay untouched */
    x_follow_result *r = (x_follow_result *)0x1;
    x_user *u = (x_user *)0x1;
    char *s = (char *)0x1;

    CHECK(x_config_new(NULL) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "out is NULL");
    CHECK(x_config_set_base_url(NULL, "https://api.x.com") == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "config is NULL");
    CHECK(x_client_new(NULL, &c) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "config is NULL");
    CHECK(c == (x_client *)0x1);

    CHECK(x_config_new(&cfg) == X_SUCCESS);
    CHECK(x_last_error_code() == X_SUCCESS);
    CHECK_STR(x_last_error_message(), "no error");
    CHECK(x_config_set_base_url(cfg, NULL) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "base_url is NULL");
    CHECK(x_config_set_oauth1(cfg, "k", NULL, "1-t", "s") == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "consumer_secret is NULL");
    CHECK(x_config_set_oauth2_token(cfg, NULL) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_client_new(cfg, NULL) == X_ERR_INVALID_ARGUMENT);
    /* No credentials yet. */
    CHECK(x_client_new(cfg, &c) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "no credentials: set OAuth 1.0a credentials or an OAuth 2.0 access token");
    CHECK(c == (x_client *)0x1);
    x_config_free(cfg);

    CHECK(x_follow(NULL, NULL, BOB, &r) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "client is NULL");
    CHECK(x_unfollow(NULL, NULL, BOB, &r) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_me(NULL, &u) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_user_by_username(NULL, "alice", &u) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_client_own_user_id(NULL, &s) == X_ERR_INVALID_ARGUMENT);
    CHECK(r == (x_follow_result *)0x1 && u == (x_user *)0x1 && s == (char *)0x1);

    /* Accessors and frees accept NULL. */
    CHECK(!x_follow_result_following(NULL));
    CHECK(!x_follow_result_pending_follow(NULL));
    CHECK(x_follow_result_state(NULL) == X_STATE_NOT_FOLLOWING);
    CHECK(x_follow_result_http_status(NULL) == 0);
    CHECK(!x_follow_result_rate_limit(NULL, X_WINDOW_ENDPOINT, NULL, NULL, NULL));
    CHECK(x_follow_result_error_count(NULL) == 0);
    CHECK(x_follow_result_error_message(NULL, 0) == NULL);
    CHECK(x_user_id(NULL) == NULL && x_user_username(NULL) == NULL && x_user_name(NULL) == NULL);
    x_follow_result_free(NULL);
    x_user_free(NULL);
    x_client_free(NULL);
    x_config_free(NULL);
    x_string_free(NULL);
}

static void test_malformed_arguments(void) {
    x_config *cfg = NULL;
    x_client *c = oauth2_client();
    x_follow_result *r = NULL;
    x_user *u = NULL;
    const char bad_utf8[] = {'1', (char)0xff, '2', 0};
    const char bad_utf8_name[] = {'a', (char)0xc3, 0};
    const char *bad_ids[] = {"", "abc", "12345678901234567890", "-1", " 1", "1 ", "1/../2", "1?x=1"};
    size_t i;

    for (i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        CHECK(x_follow(c, NULL, bad_ids[i], &r) == X_ERR_INVALID_ARGUMENT);
        CHECK_STR(x_last_error_message(), "target user id must be a user id of 1 to 19 digits");
        CHECK(!x_last_error_may_have_reached_server());
        CHECK(x_unfollow(c, bad_ids[i], BOB, &r) == X_ERR_INVALID_ARGUMENT);
        CHECK_STR(x_last_error_message(), "source user id must be a user id of 1 to 19 digits");
    }
    CHECK(x_follow(c, NULL, bad_utf8, &r) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "target_user_id is not valid UTF-8");
    CHECK(x_follow(c, bad_utf8, BOB, &r) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "source_user_id is not valid UTF-8");
    CHECK(x_follow(c, NULL, BOB, NULL) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "out is NULL");
    CHECK(r == NULL);

    CHECK(x_user_by_username(c, bad_utf8_name, &u) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "username is not valid UTF-8");
    CHECK(x_user_by_username(c, "sixteen_chars_xx", &u) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "username must be 1 to 15 characters of A-Z, a-z, 0-9 and _");
    CHECK(x_user_by_username(c, "", &u) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_user_by_username(c, "al ice", &u) == X_ERR_INVALID_ARGUMENT);
    CHECK(u == NULL);

    CHECK(x_config_new(&cfg) == X_SUCCESS);
    CHECK(x_config_set_base_url(cfg, "http://example.com") == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(),
              "invalid base URL: plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost)");
    CHECK(x_config_set_base_url(cfg, "not a url") == X_ERR_INVALID_ARGUMENT);
    CHECK(x_config_set_base_url(cfg, bad_utf8) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "base_url is not valid UTF-8");
    CHECK(x_config_set_timeout_ms(cfg, 0) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "timeout must be between 1 and 3600000 ms");
    CHECK(x_config_set_connect_timeout_ms(cfg, X_MAX_TIMEOUT_MS + 1) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_config_set_timeout_ms(cfg, 5000) == X_SUCCESS);
    CHECK(x_config_set_proxy(cfg, "::::") == X_ERR_INVALID_ARGUMENT);
    CHECK(x_config_set_proxy(cfg, NULL) == X_SUCCESS);
    CHECK(x_config_set_gzip(cfg, false) == X_SUCCESS);
    CHECK(x_config_set_gzip(NULL, true) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_config_set_oauth1(cfg, "k", "s", "1-t", bad_utf8) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "access_token_secret is not valid UTF-8");
    CHECK(x_config_set_oauth2_token(cfg, "") == X_SUCCESS); /* checked by x_client_new */
    {
        x_client *c2 = NULL;
        CHECK(x_client_new(cfg, &c2) == X_ERR_INVALID_ARGUMENT);
        CHECK_STR(x_last_error_message(), "OAuth 2.0 access token is empty");
        CHECK(c2 == NULL);
        CHECK(x_config_set_ca_file(cfg, "/nonexistent/ca.pem") == X_SUCCESS);
        CHECK(x_config_set_oauth2_token(cfg, "t") == X_SUCCESS);
        CHECK(x_client_new(cfg, &c2) == X_ERR_INVALID_ARGUMENT);
        CHECK(strncmp(x_last_error_message(), "cannot read CA file /nonexistent/ca.pem: ", 41) == 0);
        CHECK(c2 == NULL);
    }
    x_config_free(cfg);
    x_client_free(c);
}

static void test_calls(void) {
    x_client *c = oauth1_client();
    x_client *c2 = oauth2_client();
    x_follow_result *r = NULL;
    x_user *u = NULL;
    char *id = NULL;
    uint64_t limit = 0, remaining = 0, reset = 0;

    CHECK(x_client_own_user_id(c, &id) == X_SUCCESS);
    CHECK_STR(id, ALICE);
    x_string_free(id);
    id = NULL;
    CHECK(x_client_own_user_id(c2, &id) == X_SUCCESS);
    CHECK_STR(id, ALICE);
    x_string_free(id);

    CHECK(x_follow(c, NULL, BOB, &r) == X_SUCCESS);
    CHECK(x_follow_result_following(r));
    CHECK(!x_follow_result_pending_follow(r));
    CHECK(x_follow_result_state(r) == X_STATE_FOLLOWING);
    CHECK(x_follow_result_http_status(r) == 200);
    CHECK(x_follow_result_rate_limit(r, X_WINDOW_ENDPOINT, &limit, &remaining, &reset));
    CHECK(limit == 50 && remaining == 49 && reset > 0);
    CHECK(x_follow_result_rate_limit(r, X_WINDOW_USER_24H, &limit, &remaining, NULL));
    CHECK(limit == 400 && remaining == 399);
    CHECK(x_follow_result_rate_limit(r, X_WINDOW_APP_24H, &limit, NULL, NULL) && limit == 1000);
    CHECK(!x_follow_result_rate_limit(r, 7, &limit, NULL, NULL));
    CHECK(x_follow_result_error_count(r) == 0);
    x_follow_result_free(r);
    r = NULL;

    CHECK(x_follow(c2, ALICE, CAROL, &r) == X_SUCCESS);
    CHECK(x_follow_result_state(r) == X_STATE_PENDING);
    CHECK(!x_follow_result_following(r) && x_follow_result_pending_follow(r));
    x_follow_result_free(r);
    r = NULL;

    CHECK(x_unfollow(c2, NULL, BOB, &r) == X_SUCCESS);
    CHECK(x_follow_result_state(r) == X_STATE_NOT_FOLLOWING);
    CHECK(!x_follow_result_following(r));
    x_follow_result_free(r);
    r = NULL;

    CHECK(x_me(c, &u) == X_SUCCESS);
    CHECK_STR(x_user_id(u), ALICE);
    CHECK_STR(x_user_username(u), "alice");
    CHECK_STR(x_user_name(u), "Alice");
    CHECK(x_user_rate_limit(u, X_WINDOW_ENDPOINT, &limit, NULL, NULL) && limit == 75);
    x_user_free(u);
    u = NULL;
    CHECK(x_user_by_username(c2, "XDevelopers", &u) == X_SUCCESS);
    CHECK_STR(x_user_id(u), "783214");
    x_user_free(u);
    u = NULL;

    /* API errors with details. */
    CHECK(x_follow(c, NULL, "1234", &r) == X_ERR_NOT_FOUND);
    CHECK(r == NULL);
    CHECK(x_last_error_code() == X_ERR_NOT_FOUND);
    CHECK(x_last_error_http_status() == 404);
    CHECK_STR(x_last_error_message(), "HTTP 404 Not Found Error: Could not find user with target_user_id: [1234].");
    CHECK_STR(x_last_error_title(), "Not Found Error");
    CHECK_STR(x_last_error_type_name(), "resource-not-found");
    CHECK_STR(x_last_error_type(), "https://api.twitter.com/2/problems/resource-not-found");
    CHECK(x_last_error_reason() == NULL);
    CHECK(x_last_error_rate_limit(X_WINDOW_ENDPOINT, &limit, &remaining, NULL) && limit == 50);
    CHECK(x_last_error_retry_at() == 0);
    CHECK(x_last_error_may_have_reached_server());

    CHECK(x_follow(c, BOB, ERIN, &r) == X_ERR_FORBIDDEN);
    CHECK(x_last_error_http_status() == 403);
    CHECK_STR(x_last_error_detail(), "You are not allowed to follow on behalf of another user.");

    CHECK(x_user_by_username(c, "nobody", &u) == X_ERR_NOT_FOUND);
    CHECK(x_last_error_api_error_count() == 1);
    CHECK(x_last_error_api_error_code(0) == -1);
    CHECK_STR(x_last_error_api_error_message(0), "Could not find user with username: [nobody].");
    CHECK(x_last_error_api_error_message(1) == NULL);
    CHECK(u == NULL);

    {
        x_config *cfg = NULL;
        x_client *bad = NULL;
        CHECK(x_config_new(&cfg) == X_SUCCESS);
        CHECK(x_config_set_base_url(cfg, base_url) == X_SUCCESS);
        CHECK(x_config_set_oauth1(cfg, "demo-consumer-key", "wrong-secret", ALICE "-aliceDemoAccessToken",
                                  "alice-demo-token-secret") == X_SUCCESS);
        CHECK(x_client_new(cfg, &bad) == X_SUCCESS);
        x_config_free(cfg);
        CHECK(x_follow(bad, NULL, ERIN, &r) == X_ERR_UNAUTHORIZED);
        CHECK(x_last_error_http_status() == 401);
        CHECK(x_last_error_api_error_code(0) == 32);
        CHECK_STR(x_last_error_api_error_message(0), "Could not authenticate you.");
        CHECK(strstr(x_last_error_message(), "wrong-secret") == NULL);
        x_client_free(bad);
    }

    x_client_free(c);
    x_client_free(c2);
}

struct worker {
    const x_client *client;
    const char *target;
    int ok;
};

static void *work(void *arg) {
    struct worker *w = (struct worker *)arg;
    int i;
    w->ok = 0;
    for (i = 0; i < 5; i++) {
        x_follow_result *r = NULL;
        if (x_follow(w->client, NULL, w->target, &r) == X_SUCCESS && x_follow_result_http_status(r) == 200)
            w->ok++;
        x_follow_result_free(r);
        /* The last error is per thread. */
        if (x_follow(w->client, NULL, "bad", &r) == X_ERR_INVALID_ARGUMENT &&
            strcmp(x_last_error_message(), "target user id must be a user id of 1 to 19 digits") == 0)
            w->ok++;
    }
    return NULL;
}

static void test_threads(void) {
    x_client *c = oauth2_client();
    pthread_t t[8];
    struct worker w[8];
    const char *targets[] = {BOB, ERIN, "783214", CAROL};
    int i;
    for (i = 0; i < 8; i++) {
        w[i].client = c;
        w[i].target = targets[i % 4];
        CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
    }
    for (i = 0; i < 8; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        CHECK(w[i].ok == 10);
    }
    x_client_free(c);
}

int main(void) {
    if (read_base_url() != 0)
        return 2;
    test_static_things();
    test_panic_boundary();
    test_null_arguments();
    test_malformed_arguments();
    test_calls();
    test_threads();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
