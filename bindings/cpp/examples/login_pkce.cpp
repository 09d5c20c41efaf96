// login_pkce: log a user in with OAuth 2.0 Authorization Code + PKCE, then follow an account
// as that user through a client that refreshes its token by itself (xfollow.hpp).
//
//   login_pkce TARGET_USER_ID
//
// Environment (as for the C example, bindings/c/examples/login_pkce.c):
//   X_CLIENT_ID       the app's OAuth 2.0 client id (required)
//   X_CLIENT_SECRET   only for a confidential client
//   X_REDIRECT_URI    a loopback redirect URI registered with the app
//                     (default http://127.0.0.1:8765/callback)
//   X_API_BASE_URL    optional, default https://api.x.com (the authorize page is then
//                     https://x.com/i/oauth2/authorize, else under this base)
//   X_TOKEN_STORE     optional: a token store file (mode 0600) that keeps the token set
//                     for later runs and for other processes
//
// Prints the authorize URL, waits up to 5 minutes for the browser to come back to the
// redirect URI, exchanges the code, and follows TARGET_USER_ID. Exits 0 on success (1: a
// call failed, 2: usage).
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "login_common.hpp"

using login_example::env;
using login_example::fail;
using login_example::follow_and_print;

int main(int argc, char **argv) {
    const std::optional<std::string> client_id = env("X_CLIENT_ID");
    if (argc != 2 || !client_id) {
        std::cerr << "usage: X_CLIENT_ID=... " << argv[0] << " TARGET_USER_ID\n";
        return 2;
    }
    const std::string redirect = env("X_REDIRECT_URI").value_or("http://127.0.0.1:8765/callback");
    const std::optional<std::string> base = env("X_API_BASE_URL");
    std::optional<xfollow::Secret> client_secret;
    if (const auto s = env("X_CLIENT_SECRET")) client_secret = xfollow::Secret(*s);

    const char *step = "setting up the login";
    try {
        xfollow::OAuth2Options flow_options;
        flow_options.base_url = base;
        flow_options.client_secret = client_secret;
        xfollow::OAuth2PKCE pkce(*client_id, redirect,
                                 {"tweet.read", "users.read", "follows.write", "offline.access"}, flow_options);
        // Listen before sending the user away, so that the callback cannot come too early.
        step = "binding the redirect receiver";
        xfollow::RedirectReceiver receiver(redirect);
        const xfollow::AuthorizationRequest request = pkce.authorization_request();
        std::cout << "Open this page in your browser and authorize the app:\n" << request.url << std::endl;
        step = "waiting for the redirect";
        const xfollow::Secret code = receiver.wait(request.state, std::chrono::minutes(5));
        step = "the code exchange";
        const xfollow::TokenSet tokens = pkce.exchange(code, request.code_verifier);
        std::string scopes;
        for (const auto &s : tokens.scopes) scopes += (scopes.empty() ? "" : " ") + s;
        std::cout << "logged in: scopes \"" << scopes << "\", access token expires at " << tokens.expires_at.value_or(0)
                  << "\n";

        step = "building the client";
        xfollow::RefreshOptions refresh;
        refresh.client_secret = client_secret;
        refresh.token_store = env("X_TOKEN_STORE");
        // Called with every new token set, before the client uses it.
        refresh.on_refresh = [](const xfollow::TokenSet &t) {
            std::cout << "token refreshed: expires_at=" << t.expires_at.value_or(0) << "\n";
        };
        xfollow::Options options;
        options.base_url = base;
        const xfollow::Client client = xfollow::Client::oauth2_refreshing(tokens, *client_id, refresh, options);
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
