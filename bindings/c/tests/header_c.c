/* The header compiles as C99 with -Wall -Wextra -Werror -pedantic. */
#define _POSIX_C_SOURCE 200809L
#include <unistd.h> /* POSIX names such as X_OK must not clash with xfollow's */
#include "xfollow.h"
#include "xfollow.h" /* include guard */

int main(void) {
    x_config *cfg = NULL;
    if (x_config_new(&cfg) != X_SUCCESS) return 1;
    x_config_free(cfg);
    return x_version_number() == X_VERSION_NUMBER ? 0 : 1;
}
