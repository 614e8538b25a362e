"""Shared by the end-to-end test clients: plan input, HTTP POST with the standard library, JSON-line output.

The clients are deliberately independent of taskhook: they sign with the providers' algorithms as
implemented by third-party PyPI packages, and send over plain http.client to 127.0.0.1 (or HTTPS, for the TLS test).
"""

import http.client
import importlib
import json
import os
import ssl
import sys
import time

# The PyPI package that provides each module the clients import.
PIP_NAMES = {"standardwebhooks": "standardwebhooks", "cryptography": "cryptography"}


def require(*modules):
    """Exits 3 with a message naming the pip packages when a module cannot be imported."""
    missing = []
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as error:
            missing.append(f"{PIP_NAMES.get(module, module)} ({error})")
    if missing:
        sys.stderr.write(
            "taskhook end-to-end clients need Python packages that are not installed: "
            + ", ".join(missing)
            + f". Install them for {sys.executable}: pip install standardwebhooks cryptography\n"
        )
        sys.exit(3)


def read_plan(path):
    """The deliveries to send: a JSON array in the file at `path`."""
    with open(path) as plan:
        return json.load(plan)


def now():
    return int(time.time())


def post(host, port, path, headers, body):
    """POSTs `body` (bytes) and returns (status, answer text). One connection per request.

    With TASKHOOK_CLIENT_CA set (a CA certificate file), over HTTPS, trusting that CA only: the
    way the TLS end-to-end test reaches taskhookd through nginx.
    """
    ca = os.environ.get("TASKHOOK_CLIENT_CA")
    if ca:
        context = ssl.create_default_context(cafile=ca)
        connection = http.client.HTTPSConnection(host, port, timeout=10, context=context)
    else:
        connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def report(name, status, text, headers):
    """One answer as a JSON line on standard output."""
    print(json.dumps({"name": name, "status": status, "body": text, "sent": headers}), flush=True)
