#!/usr/bin/env python3
"""Sends fal-shaped callbacks signed with Ed25519 from PyPI `cryptography`, as fal's queue does:
the signature (hex) is over request_id \\n user_id \\n timestamp \\n hex(sha256(body)).

Usage:
  fal_client.py keygen KEYFILE JWKSFILE
      Makes a fresh Ed25519 key: its private bytes (hex) go to KEYFILE, and a JWKS holding its public
      key (base64url "x", unpadded) after an unrelated decoy key goes to JWKSFILE.
  fal_client.py send KEYFILE PLAN HOST PORT
      PLAN is a file holding a JSON array; each delivery:
        name, path, request_id, user_id, body (text, signed and sent byte for byte),
        skew        seconds added to the current time for X-Fal-Webhook-Timestamp (default 0)
        wrong_key   sign with a fresh key that is not in the JWKS (default false)
        send        overrides applied after signing: {"body": "...", "headers": {...}}
      Prints one JSON line per delivery: {"name", "status", "body", "sent"}.
"""

import base64
import hashlib
import json
import os
import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

common.require("cryptography")
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat  # noqa: E402


def raw_private(key):
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def jwk(key, kid):
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    x = base64.urlsafe_b64encode(public).rstrip(b"=").decode("ascii")
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig", "alg": "EdDSA"}


def keygen(key_file, jwks_file):
    key = Ed25519PrivateKey.generate()
    decoy = Ed25519PrivateKey.generate()  # any key of the set may match, not only the first
    with open(key_file, "w") as out:
        out.write(raw_private(key).hex())
    with open(jwks_file, "w") as out:
        json.dump({"keys": [jwk(decoy, "decoy"), jwk(key, "e2e")]}, out)


def send(key_file, plan, host, port):
    with open(key_file) as source:
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(source.read().strip()))
    for delivery in common.read_plan(plan):
        signer = Ed25519PrivateKey.generate() if delivery.get("wrong_key") else key
        body = delivery["body"].encode("utf-8")
        timestamp = str(common.now() + int(delivery.get("skew", 0)))
        message = "\n".join(
            [delivery["request_id"], delivery["user_id"], timestamp, hashlib.sha256(body).hexdigest()]
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "taskhook-e2e-fal/1",
            "X-Fal-Webhook-Request-Id": delivery["request_id"],
            "X-Fal-Webhook-User-Id": delivery["user_id"],
            "X-Fal-Webhook-Timestamp": timestamp,
            "X-Fal-Webhook-Signature": signer.sign(message).hex(),
        }
        send_overrides = delivery.get("send", {})
        headers.update(send_overrides.get("headers", {}))
        if "body" in send_overrides:
            body = send_overrides["body"].encode("utf-8")
        status, text = common.post(host, port, delivery["path"], headers, body)
        common.report(delivery["name"], status, text, headers)


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "keygen" and len(sys.argv) == 4:
        keygen(sys.argv[2], sys.argv[3])
    elif command == "send" and len(sys.argv) == 6:
        send(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.stderr.write(__doc__)
        sys.exit(64)


if __name__ == "__main__":
    main()
