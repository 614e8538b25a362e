#!/usr/bin/env python3
"""Pre-generates complete HTTP/1.1 requests for bench/requests-file.lua: unique Freepik-shaped
callbacks (each its own webhook-id and task_id), signed the Standard Webhooks way when --secret is
given: webhook-signature `v1,` + base64(HMAC-SHA256(key, "id.timestamp.body")), the key being the
base64-decoded part after `whsec_`. wrk's Lua cannot compute an HMAC per request at these rates, so
the requests are made shortly before a run (the timestamp must stay within the route's tolerance,
300 s by default) and wrk replays them in order.

File format: one header line `taskhook-requests <count> <length>\\n`, then <count> records of
exactly <length> bytes each, every record one whole request (head and body). Every record has the
same length (the counter is zero-padded), so the reader needs no delimiter and no parsing.

Standard library only. Usage:
  signed-requests.py --out FILE --count N --host 127.0.0.1:PORT --path /hooks/freepik \\
      [--secret whsec_...] [--prefix RUN-ID] [--timestamp UNIX-SECONDS]
"""
import argparse
import base64
import hashlib
import hmac
import os
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="file to write")
    parser.add_argument("--count", type=int, required=True, help="number of requests")
    parser.add_argument("--host", required=True, help="Host header, e.g. 127.0.0.1:8080")
    parser.add_argument("--path", default="/hooks/freepik")
    parser.add_argument("--secret", help="whsec_<base64> key; without it the requests are unsigned")
    parser.add_argument("--prefix", help="makes ids unique across files (default: time and pid)")
    parser.add_argument("--timestamp", type=int, help="webhook-timestamp (default: now)")
    args = parser.parse_args()
    if args.count < 1:
        parser.error("--count must be at least 1")

    key = None
    if args.secret is not None:
        encoded = args.secret[len("whsec_"):] if args.secret.startswith("whsec_") else args.secret
        key = base64.b64decode(encoded, validate=True)

    prefix = args.prefix or f"{int(time.time())}-{os.getpid()}"
    timestamp = str(args.timestamp if args.timestamp is not None else int(time.time())).encode()
    width = len(str(args.count - 1))
    # The same body shape as bench/callback.lua (about 330 bytes).
    meta = b"x" * 200
    head = (
        f"POST {args.path} HTTP/1.1\r\n"
        f"Host: {args.host}\r\n"
        "Content-Type: application/json\r\n"
    ).encode()
    digest = hashlib.sha256
    hmac_digest = hmac.digest
    b64 = base64.b64encode

    length = None
    chunk = []
    with open(args.out, "wb", buffering=1 << 20) as out:
        # The header is rewritten at the end with the record length, which is known after the
        # first record; reserve room for it now.
        header_room = 64
        out.write(b" " * header_room)
        for n in range(args.count):
            ident = f"{prefix}-{n:0{width}d}".encode()
            body = (
                b'{"task_id":"' + ident + b'","status":"COMPLETED","generated":["https://cdn.example/videos/'
                + ident + b'.mp4"],"meta":"' + meta + b'"}'
            )
            msg_id = b"msg_" + ident
            headers = head + b"webhook-id: " + msg_id + b"\r\nwebhook-timestamp: " + timestamp + b"\r\n"
            if key is not None:
                mac = hmac_digest(key, msg_id + b"." + timestamp + b"." + body, digest)
                headers += b"webhook-signature: v1," + b64(mac) + b"\r\n"
            record = headers + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            if length is None:
                length = len(record)
            elif len(record) != length:
                print(f"record {n} is {len(record)} bytes, not {length}", file=sys.stderr)
                return 1
            chunk.append(record)
            if len(chunk) == 4096:
                out.write(b"".join(chunk))
                chunk.clear()
        out.write(b"".join(chunk))
        header = f"taskhook-requests {args.count} {length}".encode()
        out.seek(0)
        # Padded with spaces up to the reserved room, then the newline the reader stops at.
        out.write(header + b" " * (header_room - 1 - len(header)) + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
