// login_pin: log a user in with the OAuth 1.0a PIN flow, then follow an account as that
// user (xfollow.hpp).
//
//   login_pin TARGET_USER_ID
//
// Environment (as for the C example, bindings/c/examples/login_pin.c):
//   X_CONSUMER_KEY, X_CONSUMER_SECRET   the app's API key and secret (required)
//   X_API_BASE_URL                      optional, default https://api.x.com (the authorize
//                                       page is then on https://x.com, else under this base)
//
// Prints the authorize URL, reads the PIN X shows after authorizing from stdin, gets the
// user's access token and follows TARGET_USER_ID. OAuth 1.0a access tokens do not expire:
// a real program keeps the credentials' token and token_secret somewhere safe.
// Exits 0 on success (1: a call failed, 2: usage).
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "login_common.hpp"

using login_example::env;
using login_example::fail;
using login_example::follow_and_print;

namespace {

// One line of stdin of at most 63 characters, without its line end, read straight into a
// buffer that is wiped afterwards; nothing on end of input or a longer line.
std::optional<xfollow::Secret> read_pin() {
    char buf[64];
    std::size_t n = 0;
    int c = 0;
    while ((c = std::cin.get()) != EOF && c != '\n' && n < sizeof buf)
        if (c != '\r') buf[n++] = static_cast<char>(c);
    std::optional<xfollow::Secret> pin;
    if ((c == '\n' || (c == EOF && n > 0)) && n < sizeof buf) pin = xfollow::Secret(std::string_view(buf, n));
    volatile char *v = buf;
    for (std::size_t i = 0; i < sizeof buf; ++i) v[i] = 0;
    return pin;
}

}  // namespace

int main(int argc, char **argv) {
    const std::optional<std::string> key = env("X_CONSUMER_KEY");
    const char *secret = std::getenv("X_CONSUMER_SECRET");
    if (argc != 2 || !key || secret == nullptr) {
        std::cerr << "usage: X_CONSUMER_KEY=... X_CONSUMER_SECRET=... " << argv[0] << " TARGET_USER_ID\n";
        return 2;
    }
    const xfollow::Secret consumer_secret(secret);
    const std::optional<std::string> base = env("X_API_BASE_URL");

    const char *step = "setting up the login";
    try {
        xfollow::OAuth1Options flow_options;  // callback "oob": the PIN flow
        flow_options.base_url = base;
        xfollow::OAuth1Flow flow(*key, consumer_secret, flow_options);
        step = "the request token";
        const xfollow::OAuth1RequestToken request = flow.request_token("write");
        std::cout << "Open this page in your browser and authorize the app:\n" << request.authorize_url() << "\n";
        std::cout << "PIN: " << std::flush;
        const std::optional<xfollow::Secret> pin = read_pin();
        if (!pin) {
            std::cerr << "error: no PIN on stdin (one line of at most 63 characters)\n";
            return 1;
        }
        step = "the access token";
        const xfollow::OAuth1Credentials creds = flow.access_token(request, *pin);
        std::cout << "\nlogged in as @" << creds.screen_name.value_or("?") << " (" << creds.user_id.value_or("?")
                  << ")\n";

        step = "building the client";
        xfollow::Options options;
        options.base_url = base;
        const xfollow::Client client = xfollow::Client::oauth1(*key, consumer_secret, creds, options);
        step = "the follow";
        follow_and_print(client, argv[1]);
    } catch (const xfollow::Error &e) {
        return fail(step, e);
    } catch (const std::exception &e) {
        std::cerr << "error: " << step << " failed: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
