/*
 * What the login examples share: error reporting, the config they start from, and the
 * follow they end with. Each example includes it beside its own source.
 */
#ifndef XFOLLOW_EXAMPLES_LOGIN_COMMON_H
#define XFOLLOW_EXAMPLES_LOGIN_COMMON_H

#include <stdio.h>

#include "xfollow.h"

/* Prints the thread's last error to stderr; returns the exit status 1. */
static int fail(const char *what, x_result code) {
    const char *title = x_last_error_title();
    fprintf(stderr, "error: %s failed: %s (%d)\nmessage: %s\n", what, x_result_str(code), code,
            x_last_error_message());
    if (x_last_error_http_status() != 0)
        fprintf(stderr, "http status: %d\n", x_last_error_http_status());
    if (title != NULL) fprintf(stderr, "title: %s\n", title);
    return 1;
}

/* A new config in *cfg, on base unless base is NULL; returns the exit status (0 or 1). */
static int new_config(const char *base, x_config **cfg) {
    x_result rc;
    if ((rc = x_config_new(cfg)) != X_SUCCESS) return fail("x_config_new", rc);
    if (base != NULL && (rc = x_config_set_base_url(*cfg, base)) != X_SUCCESS)
        return fail("x_config_set_base_url", rc);
    return 0;
}

/* Follows target with a client built from cfg and prints the outcome; returns the exit
 * status (0 or 1). */
static int follow_with(const x_config *cfg, const char *target) {
    x_client *client = NULL;
    x_follow_result *result = NULL;
    x_result rc;
    int status = 1;
    if ((rc = x_client_new(cfg, &client)) != X_SUCCESS) {
        status = fail("x_client_new", rc);
    } else if ((rc = x_follow(client, NULL, target, &result)) != X_SUCCESS) {
        status = fail("x_follow", rc);
    } else {
        printf("followed %s: following=%s pending_follow=%s\n", target,
               x_follow_result_following(result) ? "true" : "false",
               x_follow_result_pending_follow(result) ? "true" : "false");
        status = 0;
    }
    x_follow_result_free(result);
    x_client_free(client);
    return status;
}

#endif
