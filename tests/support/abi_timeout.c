/* x_me and x_follow against a hostile server with a 1000 ms timeout and no retry.
 * Usage: abi_timeout BASE_URL CA_FILE PROXY_OR_DASH
 * Prints "<x_me code> <ms> <x_follow code> <ms>". */
#define _POSIX_C_SOURCE 199309L
#include "xfollow.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

static long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
    x_config *cfg = NULL;
    x_client *client = NULL;
    x_user *user = NULL;
    x_follow_result *follow = NULL;
    long start, me_ms, follow_ms;
    x_result me, fo;
    if (argc != 4 || x_config_new(&cfg) != X_SUCCESS) return 2;
    if (x_config_set_base_url(cfg, argv[1]) != X_SUCCESS ||
        x_config_set_ca_file(cfg, argv[2]) != X_SUCCESS ||
        (strcmp(argv[3], "-") != 0 && x_config_set_proxy(cfg, argv[3]) != X_SUCCESS) ||
        x_config_set_oauth2_token(cfg, "alice-demo-oauth2-token") != X_SUCCESS ||
        x_config_set_timeout_ms(cfg, 1000) != X_SUCCESS ||
        x_config_set_retry(cfg, 1, 1, 1, 0) != X_SUCCESS ||
        x_client_new(cfg, &client) != X_SUCCESS)
        return 3;
    start = now_ms();
    me = x_me(client, &user);
    me_ms = now_ms() - start;
    start = now_ms();
    fo = x_follow(client, "1500000000000000001", "1500000000000000002", &follow);
    follow_ms = now_ms() - start;
    printf("%d %ld %d %ld\n", me, me_ms, fo, follow_ms);
    x_user_free(user);
    x_follow_result_free(follow);
    x_client_free(client);
    x_config_free(cfg);
    return 0;
}
