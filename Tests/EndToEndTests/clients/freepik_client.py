#!/usr/bin/env python3
"""Sends Freepik-shaped callbacks signed with PyPI `standardwebhooks` (Webhook(secret).sign).

Usage: freepik_client.py PLAN HOST PORT

PLAN is a file holding a JSON array; each delivery:
  name        a label echoed in the answer line
  path        the route, e.g. /hooks/freepik
  secret      the webhook secret text
  secrets     instead of secret: several secrets; the header holds one v1 entry per secret,
              space-separated (a sender in the middle of a key rotation)
  key_mode    "standard": Webhook(secret) (whsec_ base64-decoded, Standard Webhooks);
              "raw": Webhook(secret.encode()) (the secret's UTF-8 bytes, as Freepik's Python sample)
  id          webhook-id
  body        the JSON body text, signed and sent byte for byte
  skew        seconds added to the current time for webhook-timestamp (default 0)
  send        optional overrides applied after signing: {"body": "...", "headers": {"webhook-id": "..."}}

Prints one JSON line per delivery: {"name", "status", "body", "sent"}.
"""

import os
import sys
from datetime import datetime, timezone

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

common.require("standardwebhooks")
from standardwebhooks import Webhook  # noqa: E402


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        sys.exit(64)
    plan, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for delivery in common.read_plan(plan):
        secrets = delivery.get("secrets") or [delivery["secret"]]
        raw = delivery.get("key_mode") == "raw"
        timestamp = common.now() + int(delivery.get("skew", 0))
        body = delivery["body"]
        signature = " ".join(
            Webhook(secret.encode() if raw else secret).sign(
                msg_id=delivery["id"], timestamp=datetime.fromtimestamp(timestamp, tz=timezone.utc), data=body
            )
            for secret in secrets
        )
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "taskhook-e2e-freepik/1",
            "webhook-id": delivery["id"],
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature,
        }
        send = delivery.get("send", {})
        headers.update(send.get("headers", {}))
        body = send.get("body", body)
        status, text = common.post(host, port, delivery["path"], headers, body.encode("utf-8"))
        common.report(delivery["name"], status, text, headers)


if __name__ == "__main__":
    main()
