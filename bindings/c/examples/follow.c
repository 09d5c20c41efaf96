/*
 * follow: follow or unfollow one account on X with xfollow.
 *
 *   follow [--unfollow] TARGET_USER_ID
 *
 * Environment:
 *   X_API_BASE_URL          optional, default https://api.x.com
 *   X_OAUTH2_ACCESS_TOKEN   an OAuth 2.0 user access token, or else all four of
 *   X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET
 *   X_QUOTA                 optional quota ledger store: memory: (default), sqlite:PATH,
 *                           redis://host:port/db, rediss://host:port/db or off
 *   X_QUOTA_LIMITS          optional daily caps FOLLOWS_PER_USER,FOLLOWS_PER_APP,UNFOLLOWS_PER_APP
 *                           (default 400,1000,500; 0 turns a cap off)
 *
 * Prints the outcome and the rate limit, or the error with every detail. Exits 0 only on
 * success (1: the call failed, 2: usage or configuration error).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xfollow.h"

static const char *code_name(x_result code) {
    switch (code) {
    case X_SUCCESS: return "X_SUCCESS";
    case X_ERR_INVALID_ARGUMENT: return "X_ERR_INVALID_ARGUMENT";
    case X_ERR_UNAUTHORIZED: return "X_ERR_UNAUTHORIZED";
    case X_ERR_FORBIDDEN: return "X_ERR_FORBIDDEN";
    case X_ERR_NOT_FOUND: return "X_ERR_NOT_FOUND";
    case X_ERR_RATE_LIMITED: return "X_ERR_RATE_LIMITED";
    case X_ERR_NETWORK: return "X_ERR_NETWORK";
    case X_ERR_TIMEOUT: return "X_ERR_TIMEOUT";
    case X_ERR_TLS: return "X_ERR_TLS";
    case X_ERR_SERVER: return "X_ERR_SERVER";
    case X_ERR_PROTOCOL: return "X_ERR_PROTOCOL";
    case X_ERR_API: return "X_ERR_API";
    case X_ERR_PANIC: return "X_ERR_PANIC";
    case X_ERR_QUOTA_EXHAUSTED: return "X_ERR_QUOTA_EXHAUSTED";
    case X_ERR_QUOTA_STORE: return "X_ERR_QUOTA_STORE";
    case X_ERR_CANCELLED: return "X_ERR_CANCELLED";
    case X_ERR_TOKEN_STORE: return "X_ERR_TOKEN_STORE";
    default: return "X_ERR_UNKNOWN";
    }
}

static const char *window_name(x_rate_window w) {
    switch (w) {
    case X_WINDOW_ENDPOINT: return "rate limit (15 min)";
    case X_WINDOW_USER_24H: return "user limit (24 h)";
    default: return "app limit (24 h)";
    }
}

static void print_window(FILE *out, x_rate_window w, uint64_t limit, uint64_t remaining, uint64_t reset) {
    fprintf(out, "%s: %" PRIu64 "/%" PRIu64 " remaining, resets at %" PRIu64 "\n",
            window_name(w), remaining, limit, reset);
}

/* Prints the thread's last error with every detail, to stderr. */
static void print_error(const char *what, x_result code) {
    size_t i, n;
    x_rate_window w;
    const char *s;
    fprintf(stderr, "error: %s failed: %s (%d, %s)\n", what, code_name(code), code, x_result_str(code));
    fprintf(stderr, "message: %s\n", x_last_error_message());
    if (x_last_error_http_status() != 0)
        fprintf(stderr, "http status: %d\n", x_last_error_http_status());
    if ((s = x_last_error_title()) != NULL) fprintf(stderr, "title: %s\n", s);
    if ((s = x_last_error_detail()) != NULL) fprintf(stderr, "detail: %s\n", s);
    if ((s = x_last_error_type()) != NULL) fprintf(stderr, "type: %s\n", s);
    if ((s = x_last_error_type_name()) != NULL) fprintf(stderr, "problem: %s\n", s);
    if ((s = x_last_error_reason()) != NULL) fprintf(stderr, "reason: %s\n", s);
    if ((s = x_last_error_required_enrollment()) != NULL) fprintf(stderr, "required enrollment: %s\n", s);
    if ((s = x_last_error_registration_url()) != NULL) fprintf(stderr, "registration url: %s\n", s);
    n = x_last_error_api_error_count();
    for (i = 0; i < n; i++) {
        int64_t c = x_last_error_api_error_code(i);
        const char *m = x_last_error_api_error_message(i);
        if (c >= 0)
            fprintf(stderr, "errors[%zu]: code %" PRId64 ": %s\n", i, c, m ? m : "");
        else
            fprintf(stderr, "errors[%zu]: %s\n", i, m ? m : "");
    }
    for (w = X_WINDOW_ENDPOINT; w <= X_WINDOW_APP_24H; w++) {
        uint64_t limit, remaining, reset;
        if (x_last_error_rate_limit(w, &limit, &remaining, &reset))
            print_window(stderr, w, limit, remaining, reset);
    }
    if (x_last_error_retry_at() != 0)
        fprintf(stderr, "retry at: %" PRIu64 "\n", x_last_error_retry_at());
    if (x_last_error_next_free_at() != 0)
        fprintf(stderr, "quota frees at: %" PRId64 "\n", x_last_error_next_free_at());
    fprintf(stderr, "may have reached the server: %s\n",
            x_last_error_may_have_reached_server() ? "yes" : "no");
}

static const char *env(const char *name) {
    const char *v = getenv(name);
    return (v != NULL && v[0] != '\0') ? v : NULL;
}

/* Reads "A,B,C" (three unsigned 32-bit numbers) into caps; 0 when malformed. */
static int parse_caps(const char *s, uint32_t caps[3]) {
    int i;
    for (i = 0; i < 3; i++) {
        char *end;
        unsigned long long v;
        if (*s < '0' || *s > '9') return 0;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || v > UINT32_MAX || *end != (i < 2 ? ',' : '\0')) return 0;
        caps[i] = (uint32_t)v;
        s = end + 1;
    }
    return 1;
}

int main(int argc, char **argv) {
    int unfollow = 0;
    const char *target = NULL;
    const char *base_url, *oauth2, *quota, *quota_limits;
    uint32_t caps[3];
    x_config *cfg = NULL;
    x_client *client = NULL;
    x_follow_result *res = NULL;
    char *source = NULL;
    x_result rc;
    x_rate_window w;
    int status = 1;
    int usage = 0;
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--unfollow") == 0)
            unfollow = 1;
        else if (target == NULL && argv[i][0] != '-')
            target = argv[i];
        else
            usage = 1;
    }
    if (target == NULL || usage) {
        fprintf(stderr, "usage: %s [--unfollow] TARGET_USER_ID\n", argv[0]);
        return 2;
    }

    if ((rc = x_config_new(&cfg)) != X_SUCCESS) {
        print_error("x_config_new", rc);
        return 2;
    }
    base_url = env("X_API_BASE_URL");
    if (base_url != NULL && (rc = x_config_set_base_url(cfg, base_url)) != X_SUCCESS) {
        print_error("X_API_BASE_URL", rc);
        status = 2;
        goto done;
    }
    quota = env("X_QUOTA");
    if (quota != NULL && (rc = x_config_set_quota(cfg, quota)) != X_SUCCESS) {
        print_error("X_QUOTA", rc);
        status = 2;
        goto done;
    }
    quota_limits = env("X_QUOTA_LIMITS");
    if (quota_limits != NULL) {
        if (!parse_caps(quota_limits, caps)) {
            fprintf(stderr, "error: X_QUOTA_LIMITS must be three numbers: "
                            "FOLLOWS_PER_USER,FOLLOWS_PER_APP,UNFOLLOWS_PER_APP\n");
            status = 2;
            goto done;
        }
        if ((rc = x_config_set_quota_limits(cfg, caps[0], caps[1], caps[2])) != X_SUCCESS) {
            print_error("X_QUOTA_LIMITS", rc);
            status = 2;
            goto done;
        }
    }
    oauth2 = env("X_OAUTH2_ACCESS_TOKEN");
    if (oauth2 != NULL) {
        rc = x_config_set_oauth2_token(cfg, oauth2);
    } else if (env("X_CONSUMER_KEY") && env("X_CONSUMER_SECRET") && env("X_ACCESS_TOKEN") &&
               env("X_ACCESS_TOKEN_SECRET")) {
        rc = x_config_set_oauth1(cfg, env("X_CONSUMER_KEY"), env("X_CONSUMER_SECRET"),
                                 env("X_ACCESS_TOKEN"), env("X_ACCESS_TOKEN_SECRET"));
    } else {
        fprintf(stderr, "error: set X_OAUTH2_ACCESS_TOKEN, or X_CONSUMER_KEY, X_CONSUMER_SECRET, "
                        "X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET\n");
        status = 2;
        goto done;
    }
    if (rc != X_SUCCESS) {
        print_error("credentials", rc);
        status = 2;
        goto done;
    }
    if ((rc = x_client_new(cfg, &client)) != X_SUCCESS) {
        print_error("x_client_new", rc);
        status = 2;
        goto done;
    }
    if ((rc = x_client_own_user_id(client, &source)) != X_SUCCESS) {
        print_error("finding the authenticated user", rc);
        goto done;
    }
    rc = unfollow ? x_unfollow(client, source, target, &res) : x_follow(client, source, target, &res);
    if (rc != X_SUCCESS) {
        print_error(unfollow ? "unfollow" : "follow", rc);
        goto done;
    }
    printf("%s: %s -> %s (%s)\n", unfollow ? "unfollow" : "follow", source, target,
           oauth2 != NULL ? "OAuth 2.0" : "OAuth 1.0a");
    printf("following: %s\n", x_follow_result_following(res) ? "true" : "false");
    printf("pending_follow: %s\n", x_follow_result_pending_follow(res) ? "true" : "false");
    switch (x_follow_result_state(res)) {
    case X_STATE_FOLLOWING: printf("state: following\n"); break;
    case X_STATE_PENDING: printf("state: pending\n"); break;
    default: printf("state: not following\n"); break;
    }
    for (w = X_WINDOW_ENDPOINT; w <= X_WINDOW_APP_24H; w++) {
        uint64_t limit, remaining, reset;
        if (x_follow_result_rate_limit(res, w, &limit, &remaining, &reset))
            print_window(stdout, w, limit, remaining, reset);
    }
    status = 0;

done:
    x_follow_result_free(res);
    x_string_free(source);
    x_client_free(client);
    x_config_free(cfg);
    return status;
}
