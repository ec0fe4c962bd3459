#!/usr/bin/env python3
"""A real SMTP server for Skranke's tests (aiosmtpd).

Modes:
  starttls    STARTTLS offered and required before MAIL (certificate and key given)
  tls         TLS from the first byte, as on port 465 (certificate and key given)
  plain       no TLS at all
  flaky       no TLS; answers 451 to the first --transient messages, then 550 to every message
  slow        no TLS; takes each of the first --count messages (it is recorded), then waits
              --delay seconds before answering 250, as a relay whose disk or queue is slow does;
              a client that gave up before the answer sends the message again
  drop        no TLS; for the first --count messages, closes the connection after the first line
              of the message text (in the middle of DATA: nothing was taken), then accepts
  drop-after  no TLS; for the first --count messages, takes the whole message (it is recorded),
              waits --delay seconds and closes the connection instead of answering, then accepts

Every accepted message is appended to --out as one JSON line: recipients, Message-ID, subject,
body, the TLS version and cipher the session used (null without TLS), the client's port and how
many messages were waiting for their answer at the time (sends at once). The line
"READY <port>" on stdout says the server listens; --port picks the port (default: a free one),
so a test can configure a relay that is down and bring it up later.
"""
import argparse
import asyncio
import email
import json
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class Recorder:
    def __init__(self, out, mode, transient, count, delay):
        self.out = out
        self.mode = mode
        self.transient = transient
        self.count = count
        self.delay = delay
        self.seen = 0
        # Messages between their end of DATA and the answer, on all connections.
        self.in_flight = 0
        # Messages cut off in the middle of DATA (mode drop); they never reach handle_DATA.
        self.dropped = 0

    def drop_in_data(self):
        """Whether the message now starting its DATA is to be cut off (mode drop)."""
        if self.mode == "drop" and self.dropped < self.count:
            self.dropped += 1
            return True
        return False

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        self.in_flight += 1
        try:
            return await self.take(server, session, envelope)
        finally:
            self.in_flight -= 1

    async def take(self, server, session, envelope):
        # This message's number: others may arrive on other connections while this one waits.
        n = self.seen
        if self.mode == "flaky":
            if n <= self.transient:
                return "451 4.3.0 try again later"
            return "550 5.1.1 mailbox unavailable"
        self.record(server, session, envelope)
        if self.mode in ("slow", "drop-after") and n <= self.count:
            await asyncio.sleep(self.delay)
        if self.mode == "drop-after" and n <= self.count:
            # Taken, but the client never hears so: it must assume nothing was delivered.
            server.transport.close()
        return "250 2.0.0 OK"

    def record(self, server, session, envelope):
        tls = None
        # After STARTTLS the session knows its TLS; with TLS from the first byte only the
        # connection does.
        if session.ssl is not None:
            obj = session.ssl.get("ssl_object")
        else:
            obj = server.transport.get_extra_info("ssl_object") if server.transport is not None else None
        if obj is not None:
            tls = {"version": obj.version(), "cipher": obj.cipher()[0]}
        msg = email.message_from_bytes(envelope.content)
        # Skranke sends text and HTML as multipart/alternative; the text part is what tests read.
        def part(kind):
            for p in msg.walk():
                if p.get_content_type() == kind:
                    return p.get_payload(decode=True)
            return None

        body = part("text/plain") if msg.is_multipart() else msg.get_payload(decode=True)
        html = part("text/html") if msg.is_multipart() else None
        line = {
            "rcpt": envelope.rcpt_tos,
            "mail_from": envelope.mail_from,
            "message_id": msg.get("Message-ID"),
            "subject": str(email.header.make_header(email.header.decode_header(msg.get("Subject", "")))),
            "body": body.decode("utf-8", "replace") if body else "",
            "html": html.decode("utf-8", "replace") if html else None,
            "tls": tls,
            # The client's port (one per connection), and how many messages, this one included,
            # were waiting for their answer when it was taken.
            "peer_port": session.peer[1] if session.peer else None,
            "in_flight": self.in_flight,
        }
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


class DroppingSMTP(SMTP):
    """Cuts the connection in the middle of a message's text when the recorder says so."""

    async def smtp_DATA(self, arg):
        if self.envelope is not None and self.envelope.rcpt_tos and not arg and self.event_handler.drop_in_data():
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            # One line of the text arrives; the rest never will be read.
            await self._reader.readuntil(b"\r\n")
            self.transport.close()
            return
        await super().smtp_DATA(arg)


class RecorderController(Controller):
    def factory(self):
        return DroppingSMTP(self.handler, **self.SMTP_kwargs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument(
        "--mode", choices=["starttls", "tls", "plain", "flaky", "slow", "drop", "drop-after"], required=True
    )
    p.add_argument("--out", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--transient", type=int, default=1)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--port", type=int, default=0)
    # The newest TLS version the server offers (starttls, tls): "1.2" for a relay not on 1.3 yet.
    p.add_argument("--tls-max", choices=["1.2", "1.3"], default="1.3")
    args = p.parse_args()
    kwargs = {}
    if args.mode in ("starttls", "tls"):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[args.tls_max]
        ctx.load_cert_chain(args.cert, args.key)
        if args.mode == "starttls":
            kwargs = {"tls_context": ctx, "require_starttls": True}
        else:
            kwargs = {"ssl_context": ctx}
    port = args.port or free_port()
    controller = RecorderController(
        Recorder(args.out, args.mode, args.transient, args.count, args.delay),
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
