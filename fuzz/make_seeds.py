#!/usr/bin/env python3
"""Writes the hand-made seed inputs of every fuzz target into fuzz/seeds/<target>/.

Each seed is a real-shaped input (X API v2 answers, token endpoint answers, browser requests,
signed client requests), so the fuzzer starts from the shapes the parsers meet. Run from
anywhere; the seeds are committed, this script only makes them reproducible.
"""
import gzip
import io
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")

FOLLOW = b'{"data":{"following":true,"pending_follow":false}}'
RL = (b"x-rate-limit-limit: 50\r\nx-rate-limit-remaining: 49\r\n"
      b"x-rate-limit-reset: 1700000900\r\n")
RL_24H = (b"x-user-limit-24hour-limit: 400\r\nx-user-limit-24hour-remaining: 0\r\n"
          b"x-user-limit-24hour-reset: 1700080000\r\nx-app-limit-24hour-limit: 1000\r\n"
          b"x-app-limit-24hour-remaining: 12\r\nx-app-limit-24hour-reset: 1700050000\r\n")
ENROLL = (b'{"client_id":"101010101","required_enrollment":"Appropriate Level of API Access",'
          b'"registration_url":"https://developer.x.com/en/portal/products","title":"Client Forbidden",'
          b'"detail":"This request must be made using an approved developer account that is enrolled in '
          b'the requested endpoint.","reason":"client-not-enrolled",'
          b'"type":"https://api.twitter.com/2/problems/client-forbidden"}')
LEGACY_88 = b'{"errors":[{"code":88,"message":"Rate limit exceeded"}]}'
NOT_FOUND = (b'{"errors":[{"value":"nobody","detail":"Could not find user with username: [nobody].",'
             b'"title":"Not Found Error","resource_type":"user","parameter":"username",'
             b'"resource_id":"nobody","type":"https://api.twitter.com/2/problems/resource-not-found"}]}')


def gz(data, level=6, name=None, extra=None, hcrc=False, comment=None):
    """One gzip member with the chosen optional header fields."""
    flags = (2 if hcrc else 0) | (4 if extra else 0) | (8 if name else 0) | (16 if comment else 0)
    out = bytearray(b"\x1f\x8b\x08" + bytes([flags]) + b"\x00\x00\x00\x00\x00\xff")
    if extra:
        out += struct.pack("<H", len(extra)) + extra
    if name:
        out += name + b"\x00"
    if comment:
        out += comment + b"\x00"
    if hcrc:
        out += struct.pack("<H", zlib.crc32(bytes(out)) & 0xFFFF)
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    out += c.compress(data) + c.flush()
    out += struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return bytes(out)


def answer(status, reason, headers, body):
    return b"HTTP/1.1 %d %s\r\n" % (status, reason) + headers + b"\r\n" + body


def chunked(body, sizes):
    out, i = bytearray(), 0
    for n in sizes:
        out += b"%x\r\n" % n + body[i:i + n] + b"\r\n"
        i += n
    return bytes(out + b"0\r\n\r\n")


JSON = b"content-type: application/json; charset=utf-8\r\n"
SEEDS = {
    "framing": {
        "follow_200_length": answer(200, b"OK", JSON + b"content-length: %d\r\n" % len(FOLLOW) + RL, FOLLOW),
        "follow_200_chunked": answer(200, b"OK", JSON + b"transfer-encoding: chunked\r\n" + RL,
                                     chunked(FOLLOW, [20, 31])),
        "chunk_extension_and_trailer": answer(200, b"OK", b"Transfer-Encoding: gzip, chunked\r\n",
                                              b"33;ext=1\r\n" + FOLLOW + b"\r\n0\r\nx-trailer: t\r\n\r\n"),
        "gzip_length": answer(200, b"OK", JSON + b"content-encoding: gzip\r\ncontent-length: %d\r\n"
                              % len(gz(FOLLOW)), gz(FOLLOW)),
        "gzip_chunked": answer(200, b"OK", b"content-encoding: gzip\r\ntransfer-encoding: chunked\r\n",
                               chunked(gz(FOLLOW), [10, len(gz(FOLLOW)) - 10])),
        "http10_close_delimited": b"HTTP/1.0 200 OK\r\n" + JSON + b"\r\n" + FOLLOW,
        "connection_close": answer(200, b"OK", b"connection: keep-alive, close\r\ncontent-length: 51\r\n", FOLLOW),
        "continue_then_200": b"HTTP/1.1 100 Continue\r\n\r\n" + answer(200, b"OK", b"content-length: 51\r\n", FOLLOW),
        "429_legacy_all_windows": answer(429, b"Too Many Requests", JSON + RL.replace(b"49", b"0") + RL_24H
                                         + b"content-length: %d\r\n" % len(LEGACY_88), LEGACY_88),
        "403_problem": answer(403, b"Forbidden", b"content-type: application/problem+json\r\ncontent-length: %d\r\n"
                              % len(ENROLL), ENROLL),
        "204_empty": answer(204, b"No Content", b"", b""),
        "503_html_cut": answer(503, b"Service Unavailable", b"content-type: text/html\r\ncontent-length: 100\r\n",
                               b"<html>over capacity"),
        "lf_only_head": b"HTTP/1.1 200 OK\ncontent-length: 51\n\n" + FOLLOW,
    },
    "gzip": {
        "plain": gz(FOLLOW),
        "stored": gz(FOLLOW, level=0),
        "all_header_fields": gz(FOLLOW, level=9, name=b"body.json", extra=b"ab\x02\x00xy", hcrc=True,
                                comment=b"a comment"),
        "two_members": gz(b'{"data":', 1) + gz(b'{"following":false}}', 6),
        "empty": gz(b""),
        "python_gzip": gzip.compress(NOT_FOUND, mtime=0),
    },
    "rate_limit": {
        "endpoint_window": RL + b"\r\n",
        "all_windows_user_exhausted": RL + RL_24H + b"\r\n",
        "endpoint_exhausted_mixed_case": b"X-Rate-Limit-Limit: 50\r\nX-RATE-LIMIT-REMAINING: 0\r\n"
                                         b"x-rate-limit-reset:  1700000900 \r\n\r\n",
        "negative_and_missing": b"x-rate-limit-limit: 50\r\nx-rate-limit-remaining: -1\r\n"
                                b"x-app-limit-24hour-limit: 1000\r\n\r\n",
        "duplicates_first_wins": RL + b"x-rate-limit-remaining: 0\r\ncontent-length: 5\r\n\r\n",
    },
    "follow": {
        "following": FOLLOW,
        "pending": b'{"data":{"following":false,"pending_follow":true}}',
        "unfollow": b'{"data":{"following":false}}',
        "already_requested": b'{"data":{"following":true},"errors":[{"code":160,"message":"You\'ve already requested to follow."}]}',
        "pending_null_extra_fields": b'{"data":{"following":false,"pending_follow":null,"extra":1},"meta":{}}',
        "errors_only": b'{"errors":[{"code":161,"message":"You are unable to follow more people at this time."}]}',
        "not_boolean": b'{"data":{"following":"yes"}}',
    },
    "users": {
        "me": b'{"data":{"id":"1072250532645998596","name":"Tweepy Testing","username":"TweepyDev"}}',
        "by_username": b'{"data":{"id":"2244994945","name":"Developers","username":"XDevelopers","protected":false}}',
        "not_found": NOT_FOUND,
        "numeric_id": b'{"data":{"id":2244994945,"name":"a","username":"b"}}',
        "escaped_name": b'{"data":{"id":"12","name":"\\u00e9\\ud83d\\ude00\\u0000","username":"jack"}}',
    },
    "pages": {
        "followers_first_page": b'{"data":[{"id":"2","name":"Bob","username":"bob"},{"id":"5","name":"Erin",'
                                b'"username":"erin"}],"meta":{"result_count":2,"next_token":"0000000000000002"}}',
        "last_page": b'{"data":[{"id":"9","name":"Zed","username":"zed"}],"meta":{"result_count":1,'
                     b'"previous_token":"77qp8gkuvl2dp"}}',
        "empty_page": b'{"meta":{"result_count":0}}',
        "unknown_user": b'{"errors":[{"value":"1","detail":"Could not find user with id: [1].","title":'
                        b'"Not Found Error","resource_type":"user","parameter":"id","resource_id":"1",'
                        b'"type":"https://api.twitter.com/2/problems/resource-not-found"}]}',
        "suspended_in_page": b'{"data":[{"id":"2","name":"Bob","username":"bob"}],"errors":[{"title":'
                             b'"Forbidden","type":"about:blank","detail":"User has been suspended: [x]."}],'
                             b'"meta":{"result_count":1}}',
    },
    "api_error": {
        "enrollment_403": ENROLL,
        "legacy_88": LEGACY_88,
        "legacy_89_and_32": b'{"errors":[{"code":89,"message":"Invalid or expired token."},{"code":32,"message":"Could not authenticate you."}]}',
        "unauthorized_problem": b'{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}',
        "usage_capped": b'{"title":"UsageCapExceeded","detail":"Usage cap exceeded: Monthly product cap",'
                        b'"type":"https://api.x.com/2/problems/usage-capped","period":"Monthly","scope":"Product"}',
        "invalid_request": b'{"errors":[{"parameters":{"target_user_id":["x"]},"message":"The `target_user_id` '
                           b'query parameter value [x] is not valid"}],"title":"Invalid Request","detail":'
                           b'"One or more parameters to your request was invalid.",'
                           b'"type":"https://api.twitter.com/2/problems/invalid-request"}',
        "not_found_200": NOT_FOUND,
        "html": b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
    },
    "token_answer": {
        "oauth2_bearer": b'{"token_type":"bearer","expires_in":7200,"access_token":"QUNDRVNT-abc",'
                         b'"scope":"tweet.read users.read follows.write offline.access","refresh_token":"UkVGUkVTSA-def"}',
        "oauth2_no_refresh_string_expiry": b'{"token_type":"bearer","expires_in":"7200","access_token":"QUNDRVNT","scope":"users.read"}',
        "oauth2_error": b'{"error":"invalid_request","error_description":"Value passed for the token was invalid."}',
        "oauth2_problem": b'{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}',
        "oauth1_request_token": b"oauth_token=Z6eEdO8MOmk394WozF5oKyuAv855l4Mlqo7hhlSLik&oauth_token_secret="
                                b"Kd75W4OQfb2oJTV0vzGzeXftVAwgMnEK9MumzYcM&oauth_callback_confirmed=true",
        "oauth1_access_token": b"oauth_token=6253282-eWudHldSbIaelX7swmsiHImEL4KinwaGloHANdrY&oauth_token_secret="
                               b"2EEfA6BG3ly3sR3RjE0IBSnlQu4ZrUzPiYKmrkVU&user_id=6253282&screen_name=twitterapi",
        "oauth1_percent_encoded": b"oauth_token=a%2Bb%20c&oauth_token_secret=%E2%98%83&oauth_callback_confirmed=false\r\n",
    },
    "token_store": {
        "saved": b'{\n  "version": 1,\n  "token_type": "bearer",\n  "access_token": "QUNDRVNT",\n'
                 b'  "refresh_token": "UkVGUkVTSA",\n  "expires_at": 1700007200,\n'
                 b'  "scopes": [\n    "users.read",\n    "follows.write",\n    "offline.access"\n  ]\n}\n',
        "minimal": b'{"version":1,"token_type":"bearer","access_token":"a"}',
        "future_version": b'{"version":2,"token_type":"bearer","access_token":"a","scopes":[]}',
        "empty_token": b'{"version":1,"token_type":"bearer","access_token":"","refresh_token":null}',
    },
    "redirect_request": {
        "oauth2_callback": b"GET /callback?state=state&code=VGNibzFWSWREZm01bjN1N3dicWlNUG1oa2xRRVNNdmVHelJGY2ZHRnpFbm9xOjE2MjIxNjA4MjU4MjU6MToxOmFjOjE HTTP/1.1\r\n"
                           b"Host: 127.0.0.1:8976\r\nUser-Agent: Mozilla/5.0\r\nAccept: text/html\r\n\r\n",
        "oauth2_denied": b"GET /callback?error=access_denied&error_description=The+user+denied&state=state HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "oauth1_callback": b"GET /cb?oauth_token=request-token&oauth_verifier=uw7NjWHT6OJ1MpJOXsHfNxoAhPKpgI8BlYDhxEjIBY HTTP/1.1\r\n\r\n",
        "oauth1_denied": b"GET /cb?denied=request-token HTTP/1.0\n\n",
        "absolute_form_fragment": b"GET http://127.0.0.1:1/callback?code=c&state=state#frag HTTP/1.1\r\n\r\n",
        "favicon": b"GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "percent_encoded": b"GET /callback?code=a%2Fb%zz&state=st%61te&state=other HTTP/1.1\r\n\r\n",
    },
}

OAUTH_HEADER = (b'OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", '
                b'oauth_signature="tnnArxj06cWHq44gCs1OSKk%2FjY%3D", oauth_signature_method="HMAC-SHA1", '
                b'oauth_timestamp="1318622958", oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", '
                b'oauth_version="1.0"')
TOKEN_FORM = b"grant_type=refresh_token&refresh_token=UkVGUkVTSA&client_id=rG9n6402A3dbU"
FOLLOW_BODY = b'{"target_user_id":"2244994945"}'
SEEDS["emulator_request"] = {
    "follow_oauth1": b"POST /2/users/6253282/following HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: xfollow/0.1.0\r\n"
                     b"Accept-Encoding: gzip\r\nAuthorization: " + OAUTH_HEADER + b"\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(FOLLOW_BODY) + FOLLOW_BODY,
    "unfollow_bearer_keepalive": b"DELETE /2/users/6253282/following/2244994945 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 b"Authorization: Bearer QUNDRVNT\r\n\r\nGET /2/users/me HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 b"Connection: close\r\n\r\n",
    "token_form": b"POST /2/oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Authorization: Basic Y2xpZW50OnNlY3JldA==\r\nContent-Length: %d\r\n\r\n" % len(TOKEN_FORM)
                  + TOKEN_FORM,
    "chunked_expect": b"POST /2/users/1/following HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n" + chunked(FOLLOW_BODY, [5, len(FOLLOW_BODY) - 5]),
    "query_page": b"GET /2/users/1/followers?max_results=5&pagination_token=0000000000000002 HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
    "admin_post": b"POST /__emulator/reset HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 2\r\n\r\n{}",
    "request_token_signed_query": b"POST /oauth/request_token?x_auth_access_type=write HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  b"Authorization: OAuth realm=\"x\", oauth_callback=\"http%3A%2F%2F127.0.0.1%3A9%2Fcb\", "
                                  b"oauth_consumer_key=\"ck\"\r\nContent-Length: 0\r\n\r\n",
}
SEEDS["emulator_oauth_header"] = {
    "signed": OAUTH_HEADER,
    "realm_and_callback": b'OAuth realm="", oauth_callback="oob", oauth_consumer_key="ck", oauth_verifier="1234567"',
    "unquoted_lowercase": b"oauth oauth_token=a%20b,oauth_nonce=n",
    "bad_escape": b'OAuth oauth_token="%zz"',
    "bearer": b"Bearer QUNDRVNT",
}

for target, seeds in SEEDS.items():
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
print("seeds:", ", ".join("%s %d" % (t, len(s)) for t, s in SEEDS.items()))
