#!/usr/bin/env python3
"""Plays one round of Croupier end to end and prints every frame.

What it does, in the order an integrator's backend and game client would:
  1. operator REST, HMAC-signed: deposit sandbox credits, launch a player session;
  2. player WebSocket: connect with the launch token, join a table, wait for
     `round_open`, bet, and record every frame until the player's own `settled`;
  3. optionally (--resume) reconnect with the `resume_token` from `welcome` and
     rejoin with `last_seq`, to show the missed events being replayed.

Needs Python 3.8+ and the `websockets` package (pip install websockets).
Prints the exchange as lines `-> {...}` (client to server) and `<- {...}` (server to
client); REST calls as `POST /path {...}` / `<- 201 {...}`.

Example:
  python3 docs/examples/round.py --base http://127.0.0.1:8080 --table baccarat-1
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import secrets
import sys
import time
import urllib.error
import urllib.request

try:
    import websockets
except ImportError:
    sys.exit("this example needs the websockets package: pip install websockets")


def sign(secret, timestamp, nonce, method, path_and_query, body):
    """Hex HMAC-SHA256 of `timestamp \\n nonce \\n METHOD \\n path_and_query \\n body`."""
    message = "\n".join([timestamp, nonce, method, path_and_query]).encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class Operator:
    """The operator backend: signed REST calls."""

    def __init__(self, base, key_id, secret, log):
        self.base = base.rstrip("/")
        self.key_id = key_id
        self.secret = secret
        self.log = log

    def call(self, method, path, payload=None):
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        nonce = secrets.token_hex(16)  # 32 characters of [0-9a-f]; 16-64 of [A-Za-z0-9_-] allowed
        headers = {
            "X-Croupier-Key": self.key_id,
            "X-Croupier-Timestamp": timestamp,
            "X-Croupier-Nonce": nonce,
            "X-Croupier-Signature": sign(self.secret, timestamp, nonce, method, path, body),
        }
        if body:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=body or None, method=method, headers=headers)
        self.log(f"{method} {path} {body.decode()}".rstrip())
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        self.log(f"<- {status} {text}")
        reply = json.loads(text) if text else {}
        if status >= 300:
            raise SystemExit(f"{method} {path} failed: {status} {reply}")
        return reply


class Player:
    """A game client on one WebSocket: numbered requests, every frame logged."""

    def __init__(self, ws, log):
        self.ws = ws
        self.log = log
        self.next_req = 1
        # Highest seq applied per table: events at or below it are duplicates and ignored.
        self.applied = {}
        self.epoch = {}

    async def send(self, message):
        message = dict(message, req=self.next_req)
        self.next_req += 1
        text = json.dumps(message, separators=(",", ":"))
        self.log(f"-> {text}")
        await self.ws.send(text)
        return message["req"]

    async def receive(self, timeout=60):
        text = await asyncio.wait_for(self.ws.recv(), timeout)
        self.log(f"<- {text}")
        message = json.loads(text)
        table, seq = message.get("table"), message.get("seq")
        if message["type"] == "snapshot":
            self.applied[table] = seq
            self.epoch[table] = message["epoch"]
        elif seq is not None and message["type"] != "ack":
            if seq <= self.applied.get(table, 0):
                return await self.receive(timeout)  # already applied: ignore
            self.applied[table] = seq
            self.epoch[table] = message["epoch"]
        return message

    async def until(self, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            message = await self.receive(max(0.1, deadline - time.monotonic()))
            if predicate(message):
                return message


async def play(args):
    lines = []

    def log(line):
        lines.append(line)
        print(line, flush=True)

    operator = Operator(args.base, args.key_id, args.secret, log)
    operator.call("POST", "/v1/sandbox/deposit",
                  {"player_id": args.player, "currency": args.currency, "amount": args.deposit})
    grant = operator.call("POST", "/v1/sessions", {"player_id": args.player, "currency": args.currency})

    async with websockets.connect(grant["ws_url"], max_size=2**20) as ws:
        player = Player(ws, log)
        welcome = await player.receive()
        assert welcome["type"] == "welcome", welcome
        join = await player.send({"type": "join", "table": args.table})
        await player.until(lambda m: m.get("req") == join)
        opened = await player.until(lambda m: m["type"] == "round_open")
        bet = await player.send({
            "type": "bet", "table": args.table, "round_id": opened["round_id"],
            "spot": args.spot, "amount": args.amount, "bet_id": f"{args.player}-{opened['round_id']}-1",
        })
        reply = await player.until(lambda m: m.get("req") == bet)
        if reply["type"] == "error":
            raise SystemExit(f"bet refused: {reply}")
        await player.until(lambda m: m["type"] == "settled" and m["round_id"] == opened["round_id"])
        # The balance push that follows the payout (if the bet won) may arrive just after.
        try:
            await player.until(lambda m: m["type"] == "balance", timeout=1)
        except asyncio.TimeoutError:
            pass
        last_seq, epoch = player.applied[args.table], player.epoch[args.table]

    if args.resume:
        log(f"# disconnected at seq {last_seq}; waiting {args.away_s} s, then resuming")
        await asyncio.sleep(args.away_s)
        # A resume token never travels in the URL: it is offered as a subprotocol.
        url = grant["ws_url"].split("?")[0]
        protocols = ["croupier.v1", "croupier.token." + welcome["resume_token"]]
        async with websockets.connect(url, subprotocols=protocols, max_size=2**20) as ws:
            player = Player(ws, log)
            player.applied[args.table] = last_seq
            await player.receive()  # welcome, with a new resume_token
            join = await player.send({"type": "join", "table": args.table, "last_seq": last_seq, "epoch": epoch})
            await player.until(lambda m: m.get("req") == join)
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8080", help="server base URL")
    parser.add_argument("--table", default="baccarat-1")
    parser.add_argument("--player", default="alice")
    parser.add_argument("--currency", default="EUR")
    parser.add_argument("--spot", default="banker")
    parser.add_argument("--amount", type=int, default=1000, help="stake in minor units")
    parser.add_argument("--deposit", type=int, default=50000, help="sandbox deposit in minor units")
    parser.add_argument("--key-id", default="sandbox")
    parser.add_argument("--secret", default="sandbox-secret")
    parser.add_argument("--resume", action="store_true", help="reconnect and resume with last_seq")
    parser.add_argument("--away-s", type=float, default=2.0, help="time away before resuming")
    asyncio.run(play(parser.parse_args()))


if __name__ == "__main__":
    main()
