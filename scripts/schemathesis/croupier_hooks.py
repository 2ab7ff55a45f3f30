"""Schemathesis hooks for Croupier: sign every request as an operator, and log refusals.

Loaded by scripts/schemathesis.sh through SCHEMATHESIS_HOOKS=croupier_hooks. It must not
change what schemathesis generates: it only adds credentials (the four operator headers on
every request, a player bearer token on `GET /v1/balance`), so that generated requests reach
the handlers instead of stopping at the authentication check.

The signature (src/transport/auth.rs) is hex HMAC-SHA256, keyed with the operator secret, of
`timestamp "\n" nonce "\n" METHOD "\n" path_and_query "\n" body`. It is computed in a
`requests` auth object, which runs after `requests` has built the final URL and body, so
query strings, path encoding and JSON serialisation are exactly what the server sees.

`GET /v1/balance` takes a player's resume token instead (`Authorization: Bearer`). The first
time it is called, the hook launches a sandbox session for PROBE_PLAYER, opens its player
socket once to receive the `welcome` and its `resume_token`, and closes it; every later
request to that operation carries that token, so the 200 response is checked too.

Every 401 means a credential of ours was refused: the request never reached its handler, so
the run tested less than it claims. Those are appended to the file named by
CROUPIER_ST_REFUSED_LOG; the script fails when the file is not empty.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time

import requests
import schemathesis
import websocket

KEY_ID = os.environ.get("CROUPIER_OPERATOR_KEY_ID", "sandbox")
SECRET = os.environ.get("CROUPIER_OPERATOR_SECRET", "sandbox-secret")
REFUSED_LOG = os.environ.get("CROUPIER_ST_REFUSED_LOG")
# Operations authenticated with a player's resume token rather than an operator signature.
PLAYER_AUTH_OPERATIONS = {"myBalance"}
# A player id the generators will not hit by chance, so no generated revocation ends its session.
PROBE_PLAYER = "schemathesis-balance-probe"
# Longest the hook waits for the server while fetching the probe player's resume token.
PROBE_TIMEOUT_S = 10

_resume_token: str | None = None
# Schemathesis runs operations on several worker threads: one token fetch, one log writer.
_resume_token_lock = threading.Lock()
_refused_log_lock = threading.Lock()


class CroupierSignature(requests.auth.AuthBase):
    """Adds X-Croupier-{Key,Timestamp,Nonce,Signature} (and a bearer token, when given)."""

    def __init__(self, bearer: str | None = None) -> None:
        self.bearer = bearer

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body
        if body is None:
            body = b""
        elif isinstance(body, str):
            # `requests` leaves a text body as text and http.client would encode it as Latin-1;
            # send UTF-8 bytes instead so that what is signed is exactly what is sent.
            body = body.encode("utf-8")
            request.body = body
            request.prepare_content_length(body)
        elif not isinstance(body, bytes):
            raise TypeError(f"cannot sign a streamed body of type {type(body).__name__}")
        # The server signs an empty body for GET and DELETE whatever was sent (docs/openapi.json,
        # "Operator authentication"); its handlers never read one.
        signed_body = b"" if request.method in ("GET", "DELETE") else body
        timestamp = str(int(time.time()))
        # 32 characters of [0-9a-f]: inside the server's 16-64 characters of [A-Za-z0-9_-].
        nonce = secrets.token_hex(16)
        method = request.method or "GET"
        path_and_query = request.path_url
        message = b"\n".join(
            [timestamp.encode(), nonce.encode(), method.encode(), path_and_query.encode()]
        )
        signature = hmac.new(SECRET.encode(), message + b"\n" + signed_body, hashlib.sha256).hexdigest()
        request.headers["X-Croupier-Key"] = KEY_ID
        request.headers["X-Croupier-Timestamp"] = timestamp
        request.headers["X-Croupier-Nonce"] = nonce
        request.headers["X-Croupier-Signature"] = signature
        if self.bearer is not None and "Authorization" not in request.headers:
            request.headers["Authorization"] = f"Bearer {self.bearer}"
        return request


def probe_resume_token(base_url: str) -> str:
    """Launches a sandbox session, opens its socket once and returns the welcome's resume token."""
    launch = requests.post(
        f"{base_url}/v1/sandbox/launch",
        json={"player_id": PROBE_PLAYER, "currency": "EUR"},
        timeout=PROBE_TIMEOUT_S,
    )
    launch.raise_for_status()
    socket = websocket.create_connection(launch.json()["ws_url"], timeout=PROBE_TIMEOUT_S)
    try:
        deadline = time.monotonic() + PROBE_TIMEOUT_S
        while time.monotonic() < deadline:
            message = json.loads(socket.recv())
            if message.get("type") == "welcome":
                return message["resume_token"]
    finally:
        socket.close()
    raise TimeoutError("no welcome on the player socket")


def resume_token(base_url: str) -> str:
    global _resume_token
    with _resume_token_lock:
        if _resume_token is None:
            _resume_token = probe_resume_token(base_url)
        return _resume_token


@schemathesis.hook
def before_call(context, case, kwargs):
    # `auth` reaches `requests.Session.request`, which applies it after the body is prepared.
    bearer = None
    if case.operation.definition.raw.get("operationId") in PLAYER_AUTH_OPERATIONS:
        bearer = resume_token(case.operation.schema.get_base_url())
    kwargs["auth"] = CroupierSignature(bearer)


@schemathesis.hook
def after_call(context, case, response):
    if response.status_code != 401 or REFUSED_LOG is None:
        return
    request = response.request
    record = {
        "operation": case.operation.label,
        "method": request.method,
        "path_and_query": request.path_url,
        "response": response.text[:500],
    }
    with _refused_log_lock, open(REFUSED_LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
