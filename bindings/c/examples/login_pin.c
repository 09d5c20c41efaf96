/*
 * login_pin: log a user in with the OAuth 1.0a PIN flow, then follow an account as that
 * user.
 *
 *   login_pin TARGET_USER_ID
 *
 * Environment:
 *   X_CONSUMER_KEY, X_CONSUMER_SECRET   the app's API key and secret (required)
 *   X_API_BASE_URL                      optional, default https://api.x.com (the authorize
 *                                       page is then on https://x.com, else under this base)
 *
 * Prints the authorize URL, reads the PIN X shows after authorizing from stdin, gets the
 * user's access token and follows TARGET_USER_ID. OAuth 1.0a access tokens do not expire:
 * a real program keeps x_oauth1_credentials_token() and _token_secret() somewhere safe.
 * Exits 0 on success (1: a call failed, 2: usage).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "login_common.h"

int main(int argc, char **argv) {
    const char *key = getenv("X_CONSUMER_KEY");
    const char *secret = getenv("X_CONSUMER_SECRET");
    const char *base = getenv("X_API_BASE_URL");
    x_config *cfg = NULL;
    x_oauth1_flow *flow = NULL;
    x_oauth1_request *request = NULL;
    x_oauth1_credentials *creds = NULL;
    char pin[64];
    int status = 1;
    x_result rc;

    if (argc != 2 || key == NULL || secret == NULL) {
        fprintf(stderr, "usage: X_CONSUMER_KEY=... X_CONSUMER_SECRET=... %s TARGET_USER_ID\n", argv[0]);
        return 2;
    }
    if (base != NULL && *base == '\0') base = NULL;

    if (new_config(base, &cfg) != 0) goto done;
    /* callback NULL: "oob", the PIN flow. */
    if ((rc = x_oauth1_flow_new(cfg, key, secret, NULL, base, &flow)) != X_SUCCESS) {
        status = fail("x_oauth1_flow_new", rc); goto done;
    }
    if ((rc = x_oauth1_flow_request_token(flow, "write", &request)) != X_SUCCESS) {
        status = fail("x_oauth1_flow_request_token", rc); goto done;
    }
    printf("Open this page in your browser and authorize the app:\n%s\n",
           x_oauth1_request_authorize_url(request));
    printf("PIN: ");
    fflush(stdout);
    if (fgets(pin, sizeof pin, stdin) == NULL) {
        fprintf(stderr, "error: no PIN on stdin\n");
        goto done;
    }
    pin[strcspn(pin, "\r\n")] = '\0';
    if ((rc = x_oauth1_flow_access_token(flow, request, pin, &creds)) != X_SUCCESS) {
        status = fail("x_oauth1_flow_access_token", rc); goto done;
    }
    printf("\nlogged in as @%s (%s)\n", x_oauth1_credentials_screen_name(creds),
           x_oauth1_credentials_user_id(creds));

    rc = x_config_set_oauth1(cfg, key, secret, x_oauth1_credentials_token(creds),
                             x_oauth1_credentials_token_secret(creds));
    if (rc != X_SUCCESS) { status = fail("x_config_set_oauth1", rc); goto done; }
    status = follow_with(cfg, argv[1]);

done:
    memset(pin, 0, sizeof pin);
    x_oauth1_credentials_free(creds);
    x_oauth1_request_free(request);
    x_oauth1_flow_free(flow);
    x_config_free(cfg);
    return status;
}
