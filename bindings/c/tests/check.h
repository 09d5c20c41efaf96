/*
 * The C tests' shared harness: pass/fail counters, the CHECK macros, the demo world's user
 * ids, the emulator's base URL from $X_API_BASE_URL, and configs/clients for alice. Each
 * test program includes it once; everything is static, so each program has its own counters.
 */
#ifndef XFOLLOW_TESTS_CHECK_H
#define XFOLLOW_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xfollow.h"

static int passed, failed;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (cond) {                                                                   \
            passed++;                                                                 \
        } else {                                                                      \
            failed++;                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);  \
        }                                                                             \
    } while (0)

#define CHECK_STR(got, want)                                                          \
    do {                                                                              \
        const char *g_ = (got);                                                       \
        if (g_ != NULL && strcmp(g_, (want)) == 0) {                                  \
            passed++;                                                                 \
        } else {                                                                      \
            failed++;                                                                 \
            fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__,   \
                    g_ ? g_ : "(null)", (want));                                      \
        }                                                                             \
    } while (0)

#define CHECK_PREFIX(got, want)                                                       \
    do {                                                                              \
        const char *g_ = (got);                                                       \
        if (g_ != NULL && strncmp(g_, (want), strlen(want)) == 0) {                   \
            passed++;                                                                 \
        } else {                                                                      \
            failed++;                                                                 \
            fprintf(stderr, "%s:%d: got \"%s\", want a string starting \"%s\"\n",    \
                    __FILE__, __LINE__, g_ ? g_ : "(null)", (want));                  \
        }                                                                             \
    } while (0)

/* The demo world's users. */
#define ALICE "1500000000000000001"
#define BOB "1500000000000000002"
#define CAROL "1500000000000000003"
#define ERIN "1500000000000000005"

static const char *base_url;

/* Reads $X_API_BASE_URL into base_url: 0 when set, else says so and returns 2 (main's exit). */
static inline int read_base_url(void) {
    base_url = getenv("X_API_BASE_URL");
    if (base_url == NULL) {
        fprintf(stderr, "X_API_BASE_URL must point at a running emulator\n");
        return 2;
    }
    return 0;
}

/* A config for the emulator as alice: OAuth 2.0 with oauth2_token, or OAuth 1.0a when NULL. */
static inline x_config *config_with(const char *oauth2_token) {
    x_config *cfg = NULL;
    CHECK(x_config_new(&cfg) == X_SUCCESS);
    CHECK(x_config_set_base_url(cfg, base_url) == X_SUCCESS);
    if (oauth2_token != NULL)
        CHECK(x_config_set_oauth2_token(cfg, oauth2_token) == X_SUCCESS);
    else
        CHECK(x_config_set_oauth1(cfg, "demo-consumer-key", "demo-consumer-secret",
                                  ALICE "-aliceDemoAccessToken", "alice-demo-token-secret") == X_SUCCESS);
    return cfg;
}

/* A client built from config_with(oauth2_token). */
static inline x_client *client_with(const char *oauth2_token) {
    x_config *cfg = config_with(oauth2_token);
    x_client *c = NULL;
    CHECK(x_client_new(cfg, &c) == X_SUCCESS);
    x_config_free(cfg);
    return c;
}

static inline x_client *oauth1_client(void) { return client_with(NULL); }

static inline x_client *oauth2_client(void) { return client_with("alice-demo-oauth2-token"); }

#endif
