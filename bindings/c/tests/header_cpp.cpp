// The header compiles as C++11 and its declarations are usable from C++.
#include "xfollow.h"
#include "xfollow.h"  // include guard

int main() {
    x_config *cfg = nullptr;
    if (x_config_new(&cfg) != X_SUCCESS) return 1;
    x_config_free(cfg);
    return x_version_number() == X_VERSION_NUMBER ? 0 : 1;
}
