/*
 * C ABI tests of the token functions against the emulator at $X_API_BASE_URL (the demo
 * world): argument checks, token sets, both flows, the redirect receiver, and a refreshing
 * client with its persist callback. Built with -Wall -Wextra -Werror and run under
 * AddressSanitizer and valgrind. The test plays the browser with a minimal HTTP/1.0 GET.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

#define SCOPES "tweet.read users.read follows.write offline.access"
#define REDIRECT "http://127.0.0.1:8765/callback"

/* GET an http://127.0.0.1:PORT/... URL; copies the Location header (or the body) into out. */
static int http_get(const char *url, const char *header, char *out, size_t out_len) {
    char req[4096], resp[16384];
    const char *p = url + strlen("http://127.0.0.1:");
    const char *path = strchr(p, '/');
    struct sockaddr_in a;
    size_t got = 0;
    ssize_t n;
    int fd, port = atoi(p);
    if (strncmp(url, "http://127.0.0.1:", 17) != 0 || path == NULL) return -1;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); return -1; }
    snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);
    if (write(fd, req, strlen(req)) < 0) { close(fd); return -1; }
    while (got < sizeof resp - 1 && (n = read(fd, resp + got, sizeof resp - 1 - got)) > 0)
        got += (size_t)n;
    close(fd);
    resp[got] = '\0';
    if (header == NULL) {
        snprintf(out, out_len, "%s", resp);
        return 0;
    }
    for (p = resp; (p = strstr(p, "\r\n")) != NULL; p += 2) {
        size_t hl = strlen(header);
        if (strncasecmp(p + 2, header, hl) == 0 && p[2 + hl] == ':') {
            const char *v = p + 3 + hl, *end;
            while (*v == ' ') v++;
            end = strstr(v, "\r\n");
            snprintf(out, out_len, "%.*s", (int)(end ? end - v : (long)strlen(v)), v);
            return 0;
        }
    }
    return -1;
}

/* The value of `key` in the query of `url`. */
static void query_value(const char *url, const char *key, char *out, size_t out_len) {
    char pat[64];
    const char *p;
    snprintf(pat, sizeof pat, "%s=", key);
    out[0] = '\0';
    for (p = strchr(url, '?'); p != NULL; p = strchr(p + 1, '&')) {
        if (strncmp(p + 1, pat, strlen(pat)) == 0) {
            snprintf(out, out_len, "%.*s", (int)strcspn(p + 1 + strlen(pat), "&"), p + 1 + strlen(pat));
            return;
        }
    }
}

static void test_arguments(void) {
    x_token_set *t = (x_token_set *)1;
    x_oauth2_flow *f2 = (x_oauth2_flow *)1;
    x_oauth1_flow *f1 = (x_oauth1_flow *)1;
    x_redirect_receiver *r = (x_redirect_receiver *)1;
    x_config *cfg = NULL;
    char *s1 = (char *)1, *s2 = (char *)1, *s3 = (char *)1;

    CHECK_STR(x_result_str(X_ERR_TOKEN_STORE), "token store error");
    CHECK(X_ERR_TOKEN_STORE == 16);
    x_token_set_free(NULL);
    x_oauth1_flow_free(NULL);
    x_oauth1_request_free(NULL);
    x_oauth1_credentials_free(NULL);
    x_oauth2_flow_free(NULL);
    x_redirect_receiver_free(NULL);
    CHECK(x_token_set_access_token(NULL) == NULL);
    CHECK(x_token_set_expires_at(NULL) == 0);
    CHECK(x_oauth1_credentials_user_id(NULL) == NULL);

    CHECK(x_token_set_new(NULL, NULL, 0, NULL, &t) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "access_token is NULL");
    CHECK(t == (x_token_set *)1);
    CHECK(x_oauth2_flow_new(NULL, "id", NULL, REDIRECT, "", NULL, NULL, &f2) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "at least one scope is needed");
    CHECK(x_oauth2_flow_new(NULL, "id", NULL, REDIRECT, SCOPES, NULL, "http://api.x.com", &f2) ==
          X_ERR_INVALID_ARGUMENT);
    CHECK(f2 == (x_oauth2_flow *)1);
    CHECK(x_oauth1_flow_new(NULL, "k", NULL, NULL, NULL, &f1) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "consumer_secret is NULL");
    CHECK(f1 == (x_oauth1_flow *)1);
    CHECK(x_oauth2_flow_authorization_request(NULL, &s1, &s2, &s3) == X_ERR_INVALID_ARGUMENT);
    CHECK(s1 == (char *)1 && s2 == (char *)1 && s3 == (char *)1);
    CHECK(x_redirect_receiver_bind("http://example.com:1/cb", &r) == X_ERR_INVALID_ARGUMENT);
    CHECK(r == (x_redirect_receiver *)1);

    /* A refreshing credential needs a refresh token. */
    CHECK(x_config_new(&cfg) == X_SUCCESS);
    CHECK(x_token_set_new("abc", NULL, 0, "tweet.read", &t) == X_SUCCESS);
    CHECK_STR(x_token_set_scopes(t), "tweet.read");
    CHECK(x_token_set_refresh_token(t) == NULL);
    CHECK(x_config_set_oauth2_refreshing(cfg, t, "demo-client-id", NULL, 0, NULL, NULL, NULL) ==
          X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "the token set has no refresh token (request the offline.access scope)");
    x_token_set_free(t);
    x_config_free(cfg);
}

static void test_receiver(void) {
    x_redirect_receiver *r = NULL;
    char *code = (char *)1;
    const char *uri;
    CHECK(x_redirect_receiver_bind("http://127.0.0.1:0/cb", &r) == X_SUCCESS);
    uri = x_redirect_receiver_redirect_uri(r);
    CHECK(uri != NULL && strncmp(uri, "http://127.0.0.1:", 17) == 0 && strcmp(uri, "http://127.0.0.1:0/cb") != 0);
    CHECK(x_redirect_receiver_wait(r, "st", 50, &code) == X_ERR_TIMEOUT);
    CHECK_STR(x_last_error_message(), "no authorization callback arrived within 0.05 s");
    CHECK(x_redirect_receiver_wait(r, "st", 50, &code) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "the redirect receiver was already used");
    CHECK(code == (char *)1);
    x_redirect_receiver_free(r);
}

static void test_oauth1(void) {
    x_oauth1_flow *flow = NULL;
    x_oauth1_request *req = NULL;
    x_oauth1_credentials *creds = NULL;
    char page[16384], url[1024], *u = NULL;
    const char *pin;
    CHECK(x_oauth1_flow_new(NULL, "demo-consumer-key", "demo-consumer-secret", NULL, base_url, &flow) == X_SUCCESS);
    CHECK(x_oauth1_flow_request_token(flow, "admin", &req) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_oauth1_flow_request_token(flow, "write", &req) == X_SUCCESS);
    snprintf(url, sizeof url, "%s/oauth/authorize?oauth_token=%s", base_url, x_oauth1_request_token(req));
    CHECK_STR(x_oauth1_request_authorize_url(req), url);
    CHECK(x_oauth1_flow_authorize_url(flow, req, true, true, "bob", &u) == X_SUCCESS);
    snprintf(url, sizeof url, "%s/oauth/authenticate?oauth_token=%s&force_login=true&screen_name=bob",
             base_url, x_oauth1_request_token(req));
    CHECK_STR(u, url);
    CHECK(http_get(u, NULL, page, sizeof page) == 0);
    x_string_free(u);
    pin = strstr(page, "<code id=\"pin\">");
    CHECK(pin != NULL);
    if (pin != NULL) {
        char p[16];
        snprintf(p, sizeof p, "%.7s", pin + strlen("<code id=\"pin\">"));
        CHECK(x_oauth1_flow_access_token(flow, req, p, &creds) == X_SUCCESS);
        CHECK_STR(x_oauth1_credentials_user_id(creds), BOB);
        CHECK_STR(x_oauth1_credentials_screen_name(creds), "bob");
        CHECK(strncmp(x_oauth1_credentials_token(creds), BOB "-", strlen(BOB) + 1) == 0);
        CHECK(strlen(x_oauth1_credentials_token_secret(creds)) > 10);
        x_oauth1_credentials_free(creds);
        creds = NULL;
        /* The request token is spent. */
        CHECK(x_oauth1_flow_access_token(flow, req, p, &creds) == X_ERR_UNAUTHORIZED);
        CHECK(x_last_error_http_status() == 401);
        CHECK(creds == NULL);
    }
    x_oauth1_request_free(req);
    x_oauth1_flow_free(flow);
}

static int persisted;
static char persisted_access[256];

static void on_refresh(void *user_data, const x_token_set *t) {
    CHECK(user_data == (void *)&persisted);
    persisted++;
    snprintf(persisted_access, sizeof persisted_access, "%s", x_token_set_access_token(t));
}

static void test_pkce_and_refreshing_client(void) {
    x_oauth2_flow *flow = NULL;
    x_token_set *t = NULL, *t2 = NULL, *now = NULL;
    x_config *cfg = NULL;
    x_client *c = NULL;
    x_follow_result *fr = NULL;
    char *url = NULL, *state = NULL, *verifier = NULL, loc[2048], code[256], st[128];

    CHECK(x_oauth2_flow_new(NULL, "demo-client-id", NULL, REDIRECT, SCOPES, NULL, base_url, &flow) == X_SUCCESS);
    CHECK(x_oauth2_flow_authorization_request(flow, &url, &state, &verifier) == X_SUCCESS);
    CHECK(strlen(verifier) >= 43 && strlen(verifier) <= 128);
    CHECK(http_get(url, "location", loc, sizeof loc) == 0);
    CHECK(strncmp(loc, REDIRECT "?", strlen(REDIRECT) + 1) == 0);
    query_value(loc, "code", code, sizeof code);
    query_value(loc, "state", st, sizeof st);
    CHECK_STR(st, state);
    CHECK(x_oauth2_flow_exchange(flow, code, verifier, &t) == X_SUCCESS);
    CHECK(x_oauth2_flow_exchange(flow, code, verifier, &t2) == X_ERR_UNAUTHORIZED);
    CHECK_STR(x_last_error_message(),
              "token endpoint refused the request (HTTP 400, invalid_request): Value passed for the authorization code was invalid.");
    CHECK_STR(x_last_error_title(), "invalid_request");
    CHECK(t2 == NULL);
    CHECK_STR(x_token_set_scopes(t), SCOPES);
    CHECK(x_token_set_refresh_token(t) != NULL);
    CHECK(x_token_set_expires_at(t) > 1700000000u);

    /* A margin longer than the lifetime: the first call refreshes, persisting first. */
    CHECK(x_config_new(&cfg) == X_SUCCESS);
    CHECK(x_config_set_base_url(cfg, base_url) == X_SUCCESS);
    CHECK(x_config_set_oauth2_refreshing(cfg, t, "demo-client-id", NULL, 8000, on_refresh, &persisted, NULL) == X_SUCCESS);
    CHECK(x_client_new(cfg, &c) == X_SUCCESS);
    CHECK(x_follow(c, ALICE, BOB, &fr) == X_SUCCESS);
    CHECK(x_follow_result_following(fr));
    x_follow_result_free(fr);
    CHECK(persisted == 1);
    CHECK(x_client_token_set(c, &now) == X_SUCCESS);
    CHECK_STR(x_token_set_access_token(now), persisted_access);
    CHECK(strcmp(x_token_set_access_token(now), x_token_set_access_token(t)) != 0);

    /* The login's refresh token is spent; the client's is live: revoke it, and the next
       refresh fails with the provider's message, once, without a loop. */
    CHECK(x_oauth2_flow_refresh(flow, x_token_set_refresh_token(t), &t2) == X_ERR_UNAUTHORIZED);
    CHECK(x_last_error_http_status() == 400);
    CHECK(x_oauth2_flow_revoke(flow, x_token_set_refresh_token(now), 7) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_oauth2_flow_revoke(flow, x_token_set_refresh_token(now), X_TOKEN_REFRESH) == X_SUCCESS);
    fr = NULL;
    CHECK(x_follow(c, ALICE, BOB, &fr) == X_ERR_UNAUTHORIZED);
    CHECK_STR(x_last_error_message(),
              "refreshing the OAuth 2.0 access token failed: token endpoint refused the request (HTTP 400, invalid_request): Value passed for the token was invalid.");
    CHECK(fr == NULL);
    CHECK(persisted == 1);

    x_token_set_free(now);
    x_client_free(c);
    x_config_free(cfg);
    x_token_set_free(t);
    x_string_free(url);
    x_string_free(state);
    x_string_free(verifier);
    x_oauth2_flow_free(flow);
}

/* Logs alice in through the PKCE flow (the emulator approves at once) into *t. */
static void pkce_login(x_oauth2_flow *flow, x_token_set **t) {
    char *url = NULL, *state = NULL, *verifier = NULL, loc[2048], code[256], st[128];
    CHECK(x_oauth2_flow_authorization_request(flow, &url, &state, &verifier) == X_SUCCESS);
    CHECK(http_get(url, "location", loc, sizeof loc) == 0);
    query_value(loc, "code", code, sizeof code);
    query_value(loc, "state", st, sizeof st);
    CHECK_STR(st, state);
    CHECK(x_oauth2_flow_exchange(flow, code, verifier, t) == X_SUCCESS);
    x_string_free(url);
    x_string_free(state);
    x_string_free(verifier);
}

/* Two clients from one config share the config's refresher: with a margin longer than the
   lifetime every call refreshes, and the second client refreshes with the token the first
   one's refresh returned, not with the spent one. */
static void test_two_clients_one_refreshing_config(void) {
    x_oauth2_flow *flow = NULL;
    x_token_set *t = NULL, *ta = NULL, *tb = NULL;
    x_config *cfg = NULL;
    x_client *a = NULL, *b = NULL;
    x_follow_result *fr = NULL;

    CHECK(x_oauth2_flow_new(NULL, "demo-client-id", NULL, REDIRECT, SCOPES, NULL, base_url, &flow) == X_SUCCESS);
    pkce_login(flow, &t);
    persisted = 0;
    CHECK(x_config_new(&cfg) == X_SUCCESS);
    CHECK(x_config_set_base_url(cfg, base_url) == X_SUCCESS);
    CHECK(x_config_set_oauth2_refreshing(cfg, t, "demo-client-id", NULL, 8000, on_refresh, &persisted, NULL) == X_SUCCESS);
    CHECK(x_client_new(cfg, &a) == X_SUCCESS);
    CHECK(x_client_new(cfg, &b) == X_SUCCESS);
    x_config_free(cfg);
    CHECK(x_follow(a, ALICE, BOB, &fr) == X_SUCCESS);
    x_follow_result_free(fr);
    fr = NULL;
    CHECK(x_follow(b, ALICE, BOB, &fr) == X_SUCCESS);
    CHECK(fr != NULL);
    x_follow_result_free(fr);
    CHECK(persisted == 2);
    CHECK(x_client_token_set(a, &ta) == X_SUCCESS);
    CHECK(x_client_token_set(b, &tb) == X_SUCCESS);
    CHECK_STR(x_token_set_access_token(ta), x_token_set_access_token(tb));
    CHECK_STR(x_token_set_access_token(tb), persisted_access);

    x_token_set_free(ta);
    x_token_set_free(tb);
    x_client_free(a);
    x_client_free(b);
    x_token_set_free(t);
    x_oauth2_flow_free(flow);
}

static void test_not_refreshing(void) {
    x_config *cfg = NULL;
    x_client *c = NULL;
    x_token_set *t = (x_token_set *)1;
    CHECK(x_config_new(&cfg) == X_SUCCESS);
    CHECK(x_config_set_oauth2_token(cfg, "alice-demo-oauth2-token") == X_SUCCESS);
    CHECK(x_client_new(cfg, &c) == X_SUCCESS);
    CHECK(x_client_token_set(c, &t) == X_ERR_INVALID_ARGUMENT);
    CHECK(t == (x_token_set *)1);
    x_client_free(c);
    x_config_free(cfg);
}

int main(void) {
    if (read_base_url() != 0)
        return 2;
    test_arguments();
    test_receiver();
    test_oauth1();
    test_pkce_and_refreshing_client();
    test_two_clients_one_refreshing_config();
    test_not_refreshing();
    printf("test_tokens: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
