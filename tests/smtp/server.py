#!/usr/bin/env python3
"""A real SMTP server for Skranke's tests (aiosmtpd).

Modes:
  starttls  STARTTLS offered and required before MAIL (certificate and key given)
  plain     no TLS at all
  flaky     no TLS; answers 451 to the first --transient messages, then 550 to every message

Every accepted message is appended to --out as one JSON line: recipients, Message-ID, subject,
body, and the TLS version and cipher the session used (null without TLS). The line
"READY <port>" on stdout says the server listens.
"""
import argparse
import asyncio
import email
import json
import socket
import ssl
import sys

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, out, mode, transient):
        self.out = out
        self.mode = mode
        self.transient = transient
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.mode == "flaky":
            if self.seen <= self.transient:
                return "451 4.3.0 try again later"
            return "550 5.1.1 mailbox unavailable"
        tls = None
        if session.ssl is not None:
            obj = session.ssl.get("ssl_object")
            if obj is not None:
                tls = {"version": obj.version(), "cipher": obj.cipher()[0]}
        msg = email.message_from_bytes(envelope.content)
        body = msg.get_payload(decode=True)
        line = {
            "rcpt": envelope.rcpt_tos,
            "mail_from": envelope.mail_from,
            "message_id": msg.get("Message-ID"),
            "subject": str(email.header.make_header(email.header.decode_header(msg.get("Subject", "")))),
            "body": body.decode("utf-8", "replace") if body else "",
            "tls": tls,
        }
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
        return "250 2.0.0 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["starttls", "plain", "flaky"], required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--transient", type=int, default=1)
    args = p.parse_args()
    kwargs = {}
    if args.mode == "starttls":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(args.cert, args.key)
        kwargs = {"tls_context": ctx, "require_starttls": True}
    port = free_port()
    controller = Controller(
        Recorder(args.out, args.mode, args.transient),
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        **kwargs,
    )
    controller.start()
    print(f"READY {port}", flush=True)
    try:
        # Until the test closes our stdin (or kills us).
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
