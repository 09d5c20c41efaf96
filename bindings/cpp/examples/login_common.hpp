// What the login examples share: reading the environment, reporting an error and the
// follow they end with. Each example includes it beside its own source.
#ifndef XFOLLOW_EXAMPLES_LOGIN_COMMON_HPP
#define XFOLLOW_EXAMPLES_LOGIN_COMMON_HPP

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "xfollow.hpp"

namespace login_example {

// The variable's value; nothing when it is unset or empty.
inline std::optional<std::string> env(const char *name) {
    const char *v = std::getenv(name);
    return (v != nullptr && v[0] != '\0') ? std::optional<std::string>(v) : std::nullopt;
}

// Prints the error to stderr; returns the exit status 1.
inline int fail(const char *what, const xfollow::Error &e) {
    std::cerr << "error: " << what << " failed: " << xfollow::code_text(e.code()) << " (" << static_cast<int>(e.code())
              << ")\nmessage: " << e.what() << "\n";
    if (e.http_status() != 0) std::cerr << "http status: " << e.http_status() << "\n";
    if (e.title()) std::cerr << "title: " << *e.title() << "\n";
    return 1;
}

// Follows target with client and prints the outcome.
inline void follow_and_print(const xfollow::Client &client, const char *target) {
    const xfollow::FollowResult r = client.follow(target);
    std::cout << "followed " << target << ": following=" << (r.following ? "true" : "false")
              << " pending_follow=" << (r.pending_follow ? "true" : "false") << "\n";
}

}  // namespace login_example

#endif
