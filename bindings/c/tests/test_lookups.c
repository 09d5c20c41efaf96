/*
 * C ABI tests of the followers/following lookups against the demo-world emulator at
 * $X_API_BASE_URL (bob, then erin, follow alice): pages, next tokens, the last page,
 * out-of-range indexes, argument checks before any request, out-parameters untouched on
 * failure. Built with -Wall -Wextra -Werror and run under AddressSanitizer and valgrind.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* alice's followers, all on one page, by both auth modes and by explicit id. */
static void test_one_page(x_client *c, const char *user) {
    x_user_page *p = NULL;
    uint64_t limit = 0, remaining = 0, reset = 0;

    CHECK(x_followers(c, user, 0, NULL, &p) == X_SUCCESS);
    CHECK(x_last_error_code() == X_SUCCESS);
    CHECK(x_user_page_count(p) == 2);
    CHECK(x_user_page_result_count(p) == 2);
    CHECK_STR(x_user_page_user_id(p, 0), ERIN);
    CHECK_STR(x_user_page_username(p, 0), "erin");
    CHECK_STR(x_user_page_name(p, 0), "Erin");
    CHECK_STR(x_user_page_user_id(p, 1), BOB);
    CHECK_STR(x_user_page_username(p, 1), "bob");
    CHECK_STR(x_user_page_name(p, 1), "Bob");
    /* Out of range. */
    CHECK(x_user_page_user_id(p, 2) == NULL);
    CHECK(x_user_page_username(p, 2) == NULL);
    CHECK(x_user_page_name(p, 2) == NULL);
    CHECK(x_user_page_user_id(p, (size_t)-1) == NULL);
    /* The last (and only) page. */
    CHECK(x_user_page_next_token(p) == NULL);
    CHECK(x_user_page_previous_token(p) == NULL);
    CHECK(x_user_page_rate_limit(p, X_WINDOW_ENDPOINT, &limit, &remaining, &reset));
    CHECK(limit == 300 && remaining < 300 && reset > 0);
    CHECK(!x_user_page_rate_limit(p, 7, &limit, NULL, NULL));
    x_user_page_free(p);
}

static void test_pages(x_client *c) {
    x_user_page *p1 = NULL, *p2 = NULL, *p3 = NULL;
    char token[300];

    CHECK(x_followers(c, NULL, 1, NULL, &p1) == X_SUCCESS);
    CHECK(x_user_page_count(p1) == 1);
    CHECK_STR(x_user_page_user_id(p1, 0), ERIN);
    CHECK(x_user_page_user_id(p1, 1) == NULL);
    CHECK(x_user_page_next_token(p1) != NULL);
    CHECK(x_user_page_next_token(p1) != NULL && strlen(x_user_page_next_token(p1)) == 16);
    CHECK(x_user_page_previous_token(p1) == NULL);
    snprintf(token, sizeof token, "%s", x_user_page_next_token(p1) ? x_user_page_next_token(p1) : "");
    x_user_page_free(p1);

    CHECK(x_followers(c, ALICE, 1, token, &p2) == X_SUCCESS);
    CHECK(x_user_page_count(p2) == 1);
    CHECK(x_user_page_result_count(p2) == 1);
    CHECK_STR(x_user_page_user_id(p2, 0), BOB);
    CHECK_STR(x_user_page_username(p2, 0), "bob");
    CHECK(x_user_page_next_token(p2) == NULL); /* the last page */
    CHECK(x_user_page_previous_token(p2) != NULL);
    x_user_page_free(p2);

    /* following: bob follows alice; alice follows nobody (an empty page). */
    CHECK(x_following(c, BOB, 1000, NULL, &p3) == X_SUCCESS);
    CHECK(x_user_page_count(p3) == 1);
    CHECK_STR(x_user_page_user_id(p3, 0), ALICE);
    CHECK_STR(x_user_page_name(p3, 0), "Alice");
    x_user_page_free(p3);
    p3 = NULL;
    CHECK(x_following(c, NULL, 0, NULL, &p3) == X_SUCCESS);
    CHECK(x_user_page_count(p3) == 0);
    CHECK(x_user_page_result_count(p3) == 0);
    CHECK(x_user_page_user_id(p3, 0) == NULL);
    CHECK(x_user_page_next_token(p3) == NULL);
    x_user_page_free(p3);
}

static void test_errors(x_client *c) {
    x_user_page *p = (x_user_page *)0x1; /* must stay untouched */
    const char bad_utf8[] = {'1', (char)0xff, '2', 0};
    uint64_t limit = 0;

    CHECK(x_followers(c, NULL, 1001, NULL, &p) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "max_results must be between 1 and 1000 (got 1001)");
    CHECK(!x_last_error_may_have_reached_server());
    CHECK(x_last_error_http_status() == 0);
    CHECK(x_following(c, NULL, 4000000000u, NULL, &p) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "max_results must be between 1 and 1000 (got 4000000000)");
    CHECK(x_followers(c, NULL, 0, NULL, NULL) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "out is NULL");
    CHECK(x_following(NULL, NULL, 0, NULL, &p) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "client is NULL");
    CHECK(x_followers(c, "abc", 0, NULL, &p) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "user id must be a user id of 1 to 19 digits");
    CHECK(x_followers(c, bad_utf8, 0, NULL, &p) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "user_id is not valid UTF-8");
    CHECK(x_followers(c, NULL, 0, bad_utf8, &p) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(), "pagination_token is not valid UTF-8");
    CHECK(x_followers(c, NULL, 0, "", &p) == X_ERR_INVALID_ARGUMENT);
    CHECK_STR(x_last_error_message(),
              "pagination token must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -");
    CHECK(x_following(c, NULL, 0, "a&b", &p) == X_ERR_INVALID_ARGUMENT);
    CHECK(p == (x_user_page *)0x1);

    /* Well formed, refused by the server. */
    CHECK(x_followers(c, NULL, 0, "WWWWWWWWWWWWWZZZ", &p) == X_ERR_API);
    CHECK(x_last_error_http_status() == 400);
    /* An unknown user: 200 with a resource-not-found error and no data. */
    CHECK(x_followers(c, "1", 0, NULL, &p) == X_ERR_NOT_FOUND);
    CHECK_STR(x_last_error_message(), "HTTP 200 Not Found Error: Could not find user with id: [1].");
    CHECK_STR(x_last_error_type_name(), "resource-not-found");
    CHECK(x_last_error_rate_limit(X_WINDOW_ENDPOINT, &limit, NULL, NULL) && limit == 300);
    CHECK(p == (x_user_page *)0x1);

    /* NULL pages are safe everywhere. */
    CHECK(x_user_page_count(NULL) == 0);
    CHECK(x_user_page_result_count(NULL) == 0);
    CHECK(x_user_page_user_id(NULL, 0) == NULL);
    CHECK(x_user_page_username(NULL, 0) == NULL);
    CHECK(x_user_page_name(NULL, 0) == NULL);
    CHECK(x_user_page_next_token(NULL) == NULL);
    CHECK(x_user_page_previous_token(NULL) == NULL);
    CHECK(!x_user_page_rate_limit(NULL, X_WINDOW_ENDPOINT, &limit, NULL, NULL));
    x_user_page_free(NULL);
}

static void test_scope(void) {
    x_client *c = client_with("bob-demo-oauth2-readonly");
    x_user_page *p = NULL;
    CHECK(x_followers(c, ALICE, 0, NULL, &p) == X_ERR_FORBIDDEN);
    CHECK(x_last_error_http_status() == 403);
    CHECK(strncmp(x_last_error_message(), "HTTP 403 ", 9) == 0);
    CHECK(x_following(c, NULL, 0, NULL, &p) == X_ERR_FORBIDDEN);
    CHECK(p == NULL);
    x_client_free(c);
}

int main(void) {
    x_client *c1, *c2;
    if (read_base_url() != 0)
        return 2;
    c1 = client_with(NULL);
    c2 = client_with("alice-demo-oauth2-token");
    test_one_page(c1, NULL);
    test_one_page(c2, NULL);
    test_one_page(c1, ALICE);
    test_pages(c1);
    test_pages(c2);
    test_errors(c1);
    test_scope();
    x_client_free(c1);
    x_client_free(c2);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
