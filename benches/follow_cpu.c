/*
 * Client CPU time per follow through the C ABI (libxfollow.so, release build), sequential on
 * one keep-alive connection to the emulator at $X_API_BASE_URL. CPU time is getrusage
 * (RUSAGE_THREAD) user+sys of the calling thread, over N follows after N/10 warm-up follows.
 *
 *   follow_cpu_c [N]      (make bench runs it; see BENCHMARKS.md)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include "xfollow.h"

static double thread_cpu_us(void) {
    struct rusage u;
    getrusage(RUSAGE_THREAD, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

static double wall_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int follow_once(const x_client *c) {
    x_follow_result *r = NULL;
    int ok = x_follow(c, "1500000000000000001", "1500000000000000002", &r) == X_SUCCESS &&
             x_follow_result_following(r);
    x_follow_result_free(r);
    if (!ok) fprintf(stderr, "follow failed: %s\n", x_last_error_message());
    return ok;
}

static int run(const char *name, int oauth1, long n) {
    x_config *cfg = NULL;
    x_client *c = NULL;
    long i;
    double cpu0, wall0;
    x_config_new(&cfg);
    x_config_set_base_url(cfg, getenv("X_API_BASE_URL"));
    if (oauth1)
        x_config_set_oauth1(cfg, "demo-consumer-key", "demo-consumer-secret",
                            "1500000000000000001-aliceDemoAccessToken", "alice-demo-token-secret");
    else
        x_config_set_oauth2_token(cfg, "alice-demo-oauth2-token");
    /* The client alone: no quota ledger (its cost is measured by benches/quota_ledger.rs). */
    x_config_set_quota(cfg, "off");
    if (x_client_new(cfg, &c) != X_SUCCESS) {
        fprintf(stderr, "x_client_new: %s\n", x_last_error_message());
        return 1;
    }
    x_config_free(cfg);
    for (i = 0; i < n / 10 + 10; i++)
        if (!follow_once(c)) return 1;
    cpu0 = thread_cpu_us();
    wall0 = wall_us();
    for (i = 0; i < n; i++)
        if (!follow_once(c)) return 1;
    printf("| %s | %.1f µs | %.1f µs |\n", name, (thread_cpu_us() - cpu0) / n, (wall_us() - wall0) / n);
    x_client_free(c);
    return 0;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 5000;
    if (getenv("X_API_BASE_URL") == NULL || n <= 0) {
        fprintf(stderr, "usage: X_API_BASE_URL=... %s [N]\n", argv[0]);
        return 2;
    }
    printf("\nC ABI, client CPU per follow (getrusage RUSAGE_THREAD user+sys), n = %ld per case\n\n", n);
    printf("| case | client CPU per follow | wall per follow |\n|---|---:|---:|\n");
    return run("xfollow C ABI, OAuth 2.0", 0, n) || run("xfollow C ABI, OAuth 1.0a", 1, n);
}
