/*
 * Client CPU time per follow through the C ABI (libxfollow.so, release build), sequential on
 * one keep-alive connection to the emulator at $X_API_BASE_URL, next to a raw HTTP/1.1
 * keep-alive loop in C that writes one pre-built OAuth 2.0 request and reads the whole answer
 * by content-length (the floor for any client, in the same process against the same emulator).
 *
 * CPU time is getrusage(RUSAGE_THREAD) user+sys of the calling thread. The
 * cases run in turn for ROUNDS rounds of N/ROUNDS follows each (after N/10 warm-up follows
 * per case), so that a change in the machine's load touches every case alike; the table
 * gives the median round and the range, and x raw is the ratio of the medians.
 *
 *   follow_cpu_c [N [ROUNDS]]      (make bench runs it; see BENCHMARKS.md)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "xfollow.h"

#define ALICE "1500000000000000001"
#define BOB "1500000000000000002"
#define MAX_ROUNDS 64

typedef struct {
    double user, sys, wall;
} sample; /* user and sys are only added up: the kernel splits a thread's time by ticks */

static sample now(void) {
    struct rusage u;
    struct timespec t;
    sample s;
    getrusage(RUSAGE_THREAD, &u);
    clock_gettime(CLOCK_MONOTONIC, &t);
    s.user = u.ru_utime.tv_sec * 1e6 + u.ru_utime.tv_usec;
    s.sys = u.ru_stime.tv_sec * 1e6 + u.ru_stime.tv_usec;
    s.wall = t.tv_sec * 1e6 + t.tv_nsec / 1e3;
    return s;
}

/* ---- the raw loop ---- */

typedef struct {
    int fd;
    char req[512];
    size_t req_len;
    char buf[8192];
    size_t have;
} raw_conn;

static int raw_open(raw_conn *r, const char *base, int gzip) {
    const char *hostport = base + strlen("http://");
    char host[64];
    const char *colon = strrchr(hostport, ':');
    struct sockaddr_in a;
    int one = 1;
    const char *body = "{\"target_user_id\":\"" BOB "\"}";
    if (strncmp(base, "http://", 7) != 0 || colon == NULL || (size_t)(colon - hostport) >= sizeof host)
        return -1;
    memcpy(host, hostport, colon - hostport);
    host[colon - hostport] = '\0';
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) return -1;
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (r->fd < 0 || connect(r->fd, (struct sockaddr *)&a, sizeof a) != 0) return -1;
    setsockopt(r->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    r->req_len = (size_t)snprintf(r->req, sizeof r->req,
                                  "POST /2/users/" ALICE "/following HTTP/1.1\r\nhost: %s\r\n"
                                  "authorization: Bearer alice-demo-oauth2-token\r\n"
                                  "%scontent-type: application/json\r\ncontent-length: %zu\r\n\r\n%s",
                                  hostport, gzip ? "accept-encoding: gzip\r\n" : "", strlen(body), body);
    r->have = 0;
    return 0;
}

/* Writes the request, reads the status line and headers, then content-length bytes. */
static int raw_follow(raw_conn *r) {
    size_t head_end = 0, body_len = 0, i;
    const char *p;
    if (write(r->fd, r->req, r->req_len) != (ssize_t)r->req_len) return 0;
    for (;;) {
        if (head_end == 0) {
            for (i = 3; i < r->have; i++)
                if (memcmp(r->buf + i - 3, "\r\n\r\n", 4) == 0) {
                    head_end = i + 1;
                    break;
                }
            if (head_end != 0) {
                if (strncmp(r->buf, "HTTP/1.1 200", 12) != 0) return 0;
                for (p = r->buf; p < r->buf + head_end; p = strchr(p, '\n') + 1)
                    if (strncasecmp(p, "content-length:", 15) == 0) body_len = strtoul(p + 15, NULL, 10);
            }
        }
        if (head_end != 0 && r->have >= head_end + body_len) {
            r->have -= head_end + body_len;
            memmove(r->buf, r->buf + head_end + body_len, r->have);
            return 1;
        }
        {
            ssize_t n = read(r->fd, r->buf + r->have, sizeof r->buf - r->have);
            if (n <= 0) return 0;
            r->have += (size_t)n;
        }
    }
}

/* ---- the library ---- */

static x_client *client(int oauth1, int gzip) {
    x_config *cfg = NULL;
    x_client *c = NULL;
    x_config_new(&cfg);
    x_config_set_base_url(cfg, getenv("X_API_BASE_URL"));
    if (oauth1)
        x_config_set_oauth1(cfg, "demo-consumer-key", "demo-consumer-secret",
                            "1500000000000000001-aliceDemoAccessToken", "alice-demo-token-secret");
    else
        x_config_set_oauth2_token(cfg, "alice-demo-oauth2-token");
    x_config_set_gzip(cfg, gzip);
    /* The client alone: no quota ledger (its cost is measured by benches/quota_ledger.rs). */
    x_config_set_quota(cfg, "off");
    if (x_client_new(cfg, &c) != X_SUCCESS) fprintf(stderr, "x_client_new: %s\n", x_last_error_message());
    x_config_free(cfg);
    return c;
}

static int lib_follow(const x_client *c) {
    x_follow_result *r = NULL;
    int ok = x_follow(c, ALICE, BOB, &r) == X_SUCCESS && x_follow_result_following(r);
    x_follow_result_free(r);
    if (!ok) fprintf(stderr, "follow failed: %s\n", x_last_error_message());
    return ok;
}

/* ---- the cases ---- */

typedef struct {
    const char *name;
    raw_conn *raw;     /* the raw loop, or */
    x_client *client;  /* the library */
    int floor; /* the raw loop it is compared with */
    double cpu[MAX_ROUNDS], wall[MAX_ROUNDS];
} bench_case;

static int one(bench_case *c) { return c->raw ? raw_follow(c->raw) : lib_follow(c->client); }

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n) {
    double s[MAX_ROUNDS];
    memcpy(s, v, n * sizeof *v);
    qsort(s, n, sizeof *s, cmp);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 5000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    long per_round, i;
    int k, r, ncases;
    raw_conn raw, raw_gzip;
    bench_case cases[6];
    if (getenv("X_API_BASE_URL") == NULL || n <= 0 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: X_API_BASE_URL=... %s [N [ROUNDS (1 to %d)]]\n", argv[0], MAX_ROUNDS);
        return 2;
    }
    per_round = n / rounds > 0 ? n / rounds : 1;
    if (raw_open(&raw, getenv("X_API_BASE_URL"), 0) != 0 ||
        raw_open(&raw_gzip, getenv("X_API_BASE_URL"), 1) != 0) {
        fprintf(stderr, "cannot connect to %s\n", getenv("X_API_BASE_URL"));
        return 1;
    }
    memset(cases, 0, sizeof cases);
    /* Asking for gzip changes the emulator's answer (and its latency), so each library case
       is compared with the raw loop that asks the same. */
    cases[0].name = "raw HTTP/1.1 loop in C, one pre-built request, OAuth 2.0 bearer";
    cases[0].raw = &raw;
    cases[0].floor = 0;
    cases[1].name = "raw HTTP/1.1 loop in C, OAuth 2.0 bearer, accept-encoding: gzip";
    cases[1].raw = &raw_gzip;
    cases[1].floor = 1;
    cases[2].name = "xfollow C ABI, OAuth 2.0 (asks for gzip, the default)";
    cases[2].client = client(0, 1);
    cases[2].floor = 1;
    cases[3].name = "xfollow C ABI, OAuth 2.0, x_config_set_gzip(cfg, false)";
    cases[3].client = client(0, 0);
    cases[3].floor = 0;
    cases[4].name = "xfollow C ABI, OAuth 1.0a (x raw: against the OAuth 2.0 gzip loop)";
    cases[4].client = client(1, 1);
    cases[4].floor = 1;
    ncases = 5;
    for (k = 0; k < ncases; k++)
        if (cases[k].raw == NULL && cases[k].client == NULL) return 1;

    for (k = 0; k < ncases; k++)
        for (i = 0; i < n / 10 + 10; i++)
            if (!one(&cases[k])) return 1;
    for (r = 0; r < rounds; r++)
        for (k = 0; k < ncases; k++) {
            sample a = now(), b;
            for (i = 0; i < per_round; i++)
                if (!one(&cases[k])) return 1;
            b = now();
            cases[k].cpu[r] = (b.user - a.user + b.sys - a.sys) / per_round;
            cases[k].wall[r] = (b.wall - a.wall) / per_round;
        }

    printf("\nC, client CPU per follow (getrusage RUSAGE_THREAD), %d rounds of %ld follows per case, "
           "interleaved; median and range over the rounds; x raw: ratio of medians\n\n",
           rounds, per_round);
    printf("| case | client CPU per follow | range | x raw | wall per follow |\n|---|---:|---:|---:|---:|\n");
    for (k = 0; k < ncases; k++) {
        double cpu = median(cases[k].cpu, rounds), lo = cases[k].cpu[0], hi = lo;
        for (r = 1; r < rounds; r++) {
            lo = cases[k].cpu[r] < lo ? cases[k].cpu[r] : lo;
            hi = cases[k].cpu[r] > hi ? cases[k].cpu[r] : hi;
        }
        printf("| %s | %.1f µs | %.1f to %.1f | %.2f | %.1f µs |\n", cases[k].name, cpu, lo, hi,
               cpu / median(cases[cases[k].floor].cpu, rounds), median(cases[k].wall, rounds));
    }
    for (k = 0; k < ncases; k++) x_client_free(cases[k].client);
    close(raw.fd);
    close(raw_gzip.fd);
    return 0;
}
