/*
 * login_pkce: log a user in with OAuth 2.0 Authorization Code + PKCE, then follow an account
 * as that user through a client that refreshes its token by itself.
 *
 *   login_pkce TARGET_USER_ID
 *
 * Environment:
 *   X_CLIENT_ID       the app's OAuth 2.0 client id (required)
 *   X_CLIENT_SECRET   only for a confidential client
 *   X_REDIRECT_URI    a loopback redirect URI registered with the app
 *                     (default http://127.0.0.1:8765/callback)
 *   X_API_BASE_URL    optional, default https://api.x.com (the authorize page is then
 *                     https://x.com/i/oauth2/authorize, else under this base)
 *   X_TOKEN_STORE     optional: a token store file (mode 0600) that keeps the token set
 *                     for later runs and for other processes
 *
 * Prints the authorize URL, waits up to 5 minutes for the browser to come back to the
 * redirect URI, exchanges the code, and follows TARGET_USER_ID. Exits 0 on success (1: a
 * call failed, 2: usage).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "login_common.h"

#define SCOPES "tweet.read users.read follows.write offline.access"

/* Called with every new token set, before the client uses it. */
static void on_refresh(void *user_data, const x_token_set *tokens) {
    int *count = user_data;
    (*count)++;
    printf("token refreshed: expires_at=%" PRIu64 "\n", x_token_set_expires_at(tokens));
}

int main(int argc, char **argv) {
    const char *client_id = getenv("X_CLIENT_ID");
    const char *client_secret = getenv("X_CLIENT_SECRET");
    const char *redirect = getenv("X_REDIRECT_URI");
    const char *base = getenv("X_API_BASE_URL");
    const char *store = getenv("X_TOKEN_STORE");
    x_config *cfg = NULL;
    x_oauth2_flow *flow = NULL;
    x_redirect_receiver *receiver = NULL;
    x_token_set *tokens = NULL;
    char *url = NULL, *state = NULL, *verifier = NULL, *code = NULL;
    int refreshes = 0, status = 1;
    x_result rc;

    if (argc != 2 || client_id == NULL || *client_id == '\0') {
        fprintf(stderr, "usage: X_CLIENT_ID=... %s TARGET_USER_ID\n", argv[0]);
        return 2;
    }
    if (redirect == NULL || *redirect == '\0') redirect = "http://127.0.0.1:8765/callback";
    if (client_secret != NULL && *client_secret == '\0') client_secret = NULL;
    if (base != NULL && *base == '\0') base = NULL;
    if (store != NULL && *store == '\0') store = NULL;

    if (new_config(base, &cfg) != 0) goto done;
    rc = x_oauth2_flow_new(cfg, client_id, client_secret, redirect, SCOPES, NULL, base, &flow);
    if (rc != X_SUCCESS) { status = fail("x_oauth2_flow_new", rc); goto done; }
    /* Listen before sending the user away, so that the callback cannot come too early. */
    if ((rc = x_redirect_receiver_bind(redirect, &receiver)) != X_SUCCESS) {
        status = fail("x_redirect_receiver_bind", rc); goto done;
    }
    if ((rc = x_oauth2_flow_authorization_request(flow, &url, &state, &verifier)) != X_SUCCESS) {
        status = fail("x_oauth2_flow_authorization_request", rc); goto done;
    }
    printf("Open this page in your browser and authorize the app:\n%s\n", url);
    fflush(stdout);
    if ((rc = x_redirect_receiver_wait(receiver, state, 300000, &code)) != X_SUCCESS) {
        status = fail("waiting for the redirect", rc); goto done;
    }
    if ((rc = x_oauth2_flow_exchange(flow, code, verifier, &tokens)) != X_SUCCESS) {
        status = fail("x_oauth2_flow_exchange", rc); goto done;
    }
    printf("logged in: scopes \"%s\", access token expires at %" PRIu64 "\n",
           x_token_set_scopes(tokens), x_token_set_expires_at(tokens));

    rc = x_config_set_oauth2_refreshing(cfg, tokens, client_id, client_secret, 0, on_refresh,
                                        &refreshes, store);
    if (rc != X_SUCCESS) { status = fail("x_config_set_oauth2_refreshing", rc); goto done; }
    status = follow_with(cfg, argv[1]);

done:
    x_token_set_free(tokens);
    x_string_free(code);
    x_string_free(verifier);
    x_string_free(state);
    x_string_free(url);
    x_redirect_receiver_free(receiver);
    x_oauth2_flow_free(flow);
    x_config_free(cfg);
    return status;
}
