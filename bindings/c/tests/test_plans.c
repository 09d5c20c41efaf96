/*
 * C ABI tests of follow plans against the demo-world emulator at $X_API_BASE_URL, on a
 * memory: store and on an SQLite file: building a plan (ids and @names, duplicates kept
 * once), its dry run, a run whose callback sees every intent end (done, pending), a run
 * ended by its callback returning false, list and drop, argument checks, out-parameters
 * untouched on failure. Built with -Wall -Wextra -Werror and run under AddressSanitizer and
 * valgrind.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define FAST "360000/hour" /* 10 ms between requests: the pace is not what this checks */

/* What the progress callback saw, and when it returns false. */
struct seen {
    int calls;
    int stop_after; /* 0: never */
    char targets[8][32];
    x_plan_state states[8];
    uint64_t queued_after[8];
};

static bool record(void *user_data, const x_plan_progress *p) {
    struct seen *s = user_data;
    if (s->calls < 8) {
        snprintf(s->targets[s->calls], sizeof s->targets[0], "%s", x_plan_progress_target(p));
        s->states[s->calls] = x_plan_progress_state(p);
        s->queued_after[s->calls] = x_plan_progress_count(p, X_PLAN_QUEUED);
    }
    s->calls++;
    return s->stop_after == 0 || s->calls < s->stop_after;
}

static void check_status(const x_plan *p, uint64_t queued, uint64_t done, uint64_t pending,
                         uint64_t skipped, uint64_t failed) {
    uint64_t q = 99, d = 99, pe = 99, s = 99, f = 99;
    CHECK(x_plan_status(p, &q, &d, &pe, &s, &f) == X_SUCCESS);
    CHECK(q == queued && d == done && pe == pending && s == skipped && f == failed);
}

/* A follow plan of bob, carol (protected: pending) and @erin, run to its end. */
static void test_follow_plan(const char *store, x_client *c) {
    x_plan *p = NULL;
    const char *targets[] = {BOB, CAROL, "@erin"};
    const char *again[] = {BOB};
    const char *bad[] = {ERIN, "not an id"};
    uint64_t added = 99, sent = 99;
    x_plan_stop stop = -1;
    char *text = NULL;
    struct seen s;

    CHECK(x_plan_open(store, "c-follow", ALICE, &p) == X_SUCCESS);
    CHECK(x_plan_add(p, targets, 3, false, &added) == X_SUCCESS && added == 3);
    CHECK(x_plan_add(p, again, 1, false, &added) == X_SUCCESS && added == 0);
    added = 99;
    CHECK(x_plan_add(p, bad, 2, false, &added) == X_ERR_INVALID_ARGUMENT);
    CHECK(added == 99); /* a bad target adds nothing */
    check_status(p, 3, 0, 0, 0, 0);
    CHECK(x_plan_dry_run(p, 10, &text) == X_SUCCESS);
    CHECK_STR(text, "follow " BOB "\nfollow " CAROL "\nfollow @erin\n");
    x_string_free(text);
    text = NULL;
    CHECK(x_plan_dry_run(p, 1, &text) == X_SUCCESS);
    CHECK_STR(text, "follow " BOB "\n");
    x_string_free(text);

    memset(&s, 0, sizeof s);
    CHECK(x_plan_run(p, c, FAST, 0, record, &s, &stop, &sent) == X_SUCCESS);
    CHECK(stop == X_PLAN_FINISHED && sent == 3);
    CHECK(s.calls == 3);
    CHECK_STR(s.targets[0], BOB);
    CHECK_STR(s.targets[1], CAROL);
    CHECK_STR(s.targets[2], "@erin");
    CHECK(s.states[0] == X_PLAN_DONE && s.states[1] == X_PLAN_PENDING && s.states[2] == X_PLAN_DONE);
    CHECK(s.queued_after[0] == 2 && s.queued_after[1] == 1 && s.queued_after[2] == 0);
    check_status(p, 0, 2, 1, 0, 0);
    /* Nothing left: a second run sends nothing. */
    CHECK(x_plan_run(p, c, NULL, 0, NULL, NULL, &stop, &sent) == X_SUCCESS);
    CHECK(stop == X_PLAN_FINISHED && sent == 0);
    x_plan_free(p);

    /* Opened again by name alone, from the store. */
    p = NULL;
    CHECK(x_plan_open(store, "c-follow", NULL, &p) == X_SUCCESS);
    check_status(p, 0, 2, 1, 0, 0);
    x_plan_free(p);
}

/* An unfollow plan whose callback returns false after the first intent. */
static void test_stop_from_the_callback(const char *store, x_client *c) {
    x_plan *p = NULL;
    const char *targets[] = {BOB, ERIN};
    uint64_t added = 0, sent = 99;
    x_plan_stop stop = -1;
    x_user *me = NULL;
    struct seen s;

    CHECK(x_plan_open(store, "c-stop", ALICE, &p) == X_SUCCESS);
    CHECK(x_plan_add(p, targets, 2, true, &added) == X_SUCCESS && added == 2);
    memset(&s, 0, sizeof s);
    s.stop_after = 1;
    CHECK(x_plan_run(p, c, FAST, 0, record, &s, &stop, &sent) == X_SUCCESS);
    CHECK(stop == X_PLAN_STOPPED && sent == 1 && s.calls == 1);
    CHECK(s.states[0] == X_PLAN_DONE);
    check_status(p, 1, 1, 0, 0, 0);
    /* The client was not cancelled. */
    CHECK(x_me(c, &me) == X_SUCCESS);
    x_user_free(me);
    CHECK(x_plan_run(p, c, FAST, 0, NULL, NULL, &stop, &sent) == X_SUCCESS);
    CHECK(stop == X_PLAN_FINISHED && sent == 1);
    check_status(p, 0, 2, 0, 0, 0);
    x_plan_free(p);
}

static void test_list_and_drop(const char *store) {
    char *names = NULL;
    bool dropped = false;
    x_plan *p = (x_plan *)0x1; /* must stay untouched */

    CHECK(x_plan_list(store, &names) == X_SUCCESS);
    CHECK_STR(names, "c-follow\nc-stop\n");
    x_string_free(names);
    CHECK(x_plan_drop(store, "c-follow", &dropped) == X_SUCCESS && dropped);
    dropped = true;
    CHECK(x_plan_drop(store, "c-follow", &dropped) == X_SUCCESS && !dropped);
    CHECK(x_plan_open(store, "c-follow", NULL, &p) == X_ERR_NOT_FOUND);
    CHECK(p == (x_plan *)0x1);
    CHECK(x_plan_drop(store, "c-stop", &dropped) == X_SUCCESS && dropped);
    names = NULL;
    CHECK(x_plan_list(store, &names) == X_SUCCESS);
    CHECK_STR(names, "");
    x_string_free(names);
}

static void test_errors(x_client *c) {
    x_plan *p = (x_plan *)0x1, *ok = NULL;
    const char *one[] = {BOB};
    uint64_t added = 99, sent = 99;
    x_plan_stop stop = -1;
    char *text = (char *)0x1;
    const char bad_utf8[] = {'a', (char)0xff, 0};
    bool dropped = false;

    CHECK(x_plan_open(NULL, "n", ALICE, &p) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_plan_open("memory:", NULL, ALICE, &p) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_plan_open("memory:", "bad name", ALICE, &p) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_plan_open("memory:", bad_utf8, ALICE, &p) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_plan_open("memory:", "n", "not an id", &p) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_plan_open("ftp://example.com", "n", ALICE, &p) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_plan_open("memory:", "c-errors", NULL, &p) == X_ERR_NOT_FOUND);
    CHECK(x_plan_open("memory:", "n", ALICE, NULL) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "out is NULL");
    CHECK(p == (x_plan *)0x1);

    CHECK(x_plan_open("memory:", "c-errors", ALICE, &ok) == X_SUCCESS);
    /* The same name for another source. */
    CHECK(x_plan_open("memory:", "c-errors", BOB, &p) == X_ERR_INVALID_ARGUMENT);
    CHECK(p == (x_plan *)0x1);
    CHECK(x_plan_add(NULL, one, 1, false, &added) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_plan_add(ok, NULL, 1, false, &added) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_plan_add(ok, one, 1, false, NULL) == X_ERR_INVALID_ARGUMENT);
    CHECK(added == 99);
    CHECK(x_plan_add(ok, NULL, 0, false, &added) == X_SUCCESS && added == 0);
    CHECK(x_plan_run(ok, c, "fast", 0, NULL, NULL, &stop, &sent) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_plan_run(NULL, c, FAST, 0, NULL, NULL, &stop, &sent) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_plan_run(ok, NULL, FAST, 0, NULL, NULL, &stop, &sent) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_plan_run(ok, c, FAST, 0, NULL, NULL, NULL, &sent) == X_ERR_INVALID_ARGUMENT);
    CHECK(stop == -1 && sent == 99);
    CHECK(x_plan_dry_run(ok, 10, NULL) == X_ERR_INVALID_ARGUMENT);
    CHECK(x_plan_list(NULL, &text) == X_ERR_INVALID_ARGUMENT);
    CHECK(text == (char *)0x1);
    x_plan_free(ok);
    CHECK(x_plan_drop("memory:", "c-errors", &dropped) == X_SUCCESS && dropped);

    /* NULL handles are safe everywhere. */
    CHECK(x_plan_progress_target(NULL) == NULL);
    CHECK(x_plan_progress_state(NULL) == -1);
    CHECK(x_plan_progress_count(NULL, X_PLAN_DONE) == 0);
    x_plan_free(NULL);
}

int main(void) {
    char dir[] = "/tmp/xfollow-c-plans-XXXXXX";
    char file[64], sqlite_store[80];
    const char *stores[2];
    x_client *c;
    size_t i;

    if (read_base_url() != 0)
        return 2;
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(file, sizeof file, "%s/plans.sqlite", dir);
    snprintf(sqlite_store, sizeof sqlite_store, "sqlite:%s", file);
    stores[0] = "memory:";
    stores[1] = sqlite_store;
    c = oauth2_client();
    for (i = 0; i < 2; i++) {
        test_follow_plan(stores[i], c);
        test_stop_from_the_callback(stores[i], c);
        test_list_and_drop(stores[i]);
    }
    test_errors(c);
    x_client_free(c);
    /* The SQLite store's files (the WAL's are gone once the last connection closed). */
    unlink(file);
    rmdir(dir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
