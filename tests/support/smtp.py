"""A real SMTP sink (aiosmtpd) that records what it receives, and port helpers."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class SinkHandler:
    """Accepts everything, or answers chosen codes for chosen recipients (refuse_once: the first time only)."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    refuse_once: dict[str, str] = field(default_factory=dict)
    """Accepts everything, or answers chosen codes for chosen recipients (or for every recipient)."""

    refuse_all: str = ""  # e.g. "554 5.7.1 <{}>: Relay access denied" ({} is the recipient), as Postfix says
    lock: threading.Lock = field(default_factory=threading.Lock)
    data_delay: float = 0.0  # seconds before each DATA is answered: a slow relay
    arrived: list[float] = field(default_factory=list)  # time.monotonic() of each message

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        if address in self.refuse_once:
            return self.refuse_once.pop(address)
        if self.refuse_all:
            return self.refuse_all.format(address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        with self.lock:
            self.arrived.append(time.monotonic())
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 2.0.0 accepted"

    def by_rcpt(self) -> dict[str, list[Received]]:
        out: dict[str, list[Received]] = {}
        for message in self.messages:
            for rcpt in message.rcpt_tos:
                out.setdefault(rcpt, []).append(message)
        return out


def start_sink(**controller_kwargs) -> tuple[Controller, SinkHandler]:
    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **controller_kwargs)
    controller.start()
    return controller, handler
