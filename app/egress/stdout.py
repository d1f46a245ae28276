"""Development egress: print each copy with its envelope."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TextIO

from app.egress.base import Outgoing, SendResult


class StdoutSender:
    """Writes every copy to standard output; nothing leaves the machine."""

    name = "stdout"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, batch: Iterable[Outgoing]) -> list[SendResult]:
        out = self.stream or sys.stdout
        batch = list(batch)
        for copy in batch:
            out.write(f"---------- MAIL FROM:<{copy.mail_from}> RCPT TO:<{copy.rcpt}>\n")
            out.write(copy.data.decode("utf-8", "replace").replace("\r\n", "\n"))
            out.write("\n---------- end\n")
        out.flush()
        return [
            SendResult(copy.delivery_id, ok=True, provider_id=f"stdout-{copy.delivery_id}") for copy in batch
        ]

    def close(self) -> None:
        return None
