"""The C example against an independent server: oauthlib verifies the OAuth 1.0a signatures.

Usage: python oauthlib_server_check.py PATH/TO/follow [wrapper args...]
Starts an HTTP server on 127.0.0.1 (port 0) whose follow/unfollow routes accept a request only
when oauthlib's ResourceEndpoint validates its signature, runs the example against it, and
checks the exit status and output. Prints "N passed, N failed".
"""
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from oauthlib.oauth1 import RequestValidator, ResourceEndpoint

CONSUMER_KEY, CONSUMER_SECRET = "independent-consumer-key-01", "independent-consumer-secret"
ALICE = "1500000000000000001"
TOKEN, TOKEN_SECRET = ALICE + "-independentAliceToken", "independent-token-secret"
seen_nonces = set()


class Validator(RequestValidator):
    enforce_ssl = False  # loopback only
    # oauthlib's own format checks on nonces stay at their defaults (20-30 alphanumerics).

    def check_client_key(self, key):
        return key == CONSUMER_KEY

    def check_access_token(self, token):
        return token == TOKEN

    def validate_client_key(self, key, request):
        return key == CONSUMER_KEY

    def validate_access_token(self, key, token, request):
        return token == TOKEN

    def validate_timestamp_and_nonce(self, key, ts, nonce, request, request_token=None, access_token=None):
        if (key, ts, nonce) in seen_nonces:
            return False
        seen_nonces.add((key, ts, nonce))
        return True

    def validate_realms(self, *args, **kwargs):
        return True

    def get_client_secret(self, key, request):
        return CONSUMER_SECRET

    def get_access_token_secret(self, key, token, request):
        return TOKEN_SECRET

    @property
    def dummy_client(self):
        return "dummy-client-key-000000"

    @property
    def dummy_access_token(self):
        return "dummy-access-token-0000"


endpoint = ResourceEndpoint(Validator())


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-rate-limit-limit", "50")
        self.send_header("x-rate-limit-remaining", "49")
        self.send_header("x-rate-limit-reset", "1900000000")
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        uri = "http://%s%s" % (self.headers["host"], self.path)
        ok, _ = endpoint.validate_protected_resource_request(
            uri, http_method=self.command, body=body.decode() or None, headers=dict(self.headers))
        if not ok:
            return self.answer(401, {"title": "Unauthorized", "detail": "Unauthorized",
                                     "type": "about:blank", "status": 401})
        parts = self.path.split("/")
        if self.command == "POST" and parts[1:4] == ["2", "users", ALICE] and parts[4:] == ["following"]:
            if json.loads(body)["target_user_id"].isdigit():
                return self.answer(200, {"data": {"following": True, "pending_follow": False}})
        if self.command == "DELETE" and parts[1:4] == ["2", "users", ALICE] and parts[4] == "following":
            return self.answer(200, {"data": {"following": False}})
        self.answer(404, {"title": "Not Found Error", "detail": "no such route", "type": "about:blank"})

    do_POST = do_DELETE = do_GET = handle_any


def main():
    command = sys.argv[1:]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % server.server_address[1]
    env = dict(os.environ, X_API_BASE_URL=base, X_CONSUMER_KEY=CONSUMER_KEY,
               X_CONSUMER_SECRET=CONSUMER_SECRET, X_ACCESS_TOKEN=TOKEN, X_ACCESS_TOKEN_SECRET=TOKEN_SECRET)
    env.pop("X_OAUTH2_ACCESS_TOKEN", None)
    passed = failed = 0

    def check(name, args, env, status, text):
        nonlocal passed, failed
        p = subprocess.run(command + args, env=env, capture_output=True, text=True, timeout=120)
        out = p.stdout + p.stderr
        if p.returncode == status and text in out:
            passed += 1
        else:
            failed += 1
            print("FAILED: %s (status %d, want %d)\n%s" % (name, p.returncode, status, out))

    for i in range(5):  # several requests: fresh nonces each time
        check("follow %d" % i, ["2244994945"], env, 0, "following: true\npending_follow: false\nstate: following")
    check("unfollow", ["--unfollow", "2244994945"], env, 0, "following: false")
    check("wrong secret", ["2244994945"], dict(env, X_CONSUMER_SECRET="wrong"), 1, "http status: 401")
    check("wrong token secret", ["2244994945"], dict(env, X_ACCESS_TOKEN_SECRET="wrong"), 1,
          "X_ERR_UNAUTHORIZED")
    server.shutdown()
    print("oauthlib server: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
