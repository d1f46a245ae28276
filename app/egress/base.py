"""The seam between the pipeline and a provider: send prebuilt copies, get a result per recipient."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """One copy for one recipient: envelope and the finished bytes (CRLF line ends)."""

    delivery_id: int
    mail_from: str
    rcpt: str
    data: bytes
    tags: tuple[tuple[str, str], ...] = ()  # provider tags (SES EmailTags): list, post, delivery


@dataclass(frozen=True)
class SendResult:
    """What became of one copy. permanent=False on a failure means: try again later."""

    delivery_id: int
    ok: bool
    provider_id: str = ""
    error: str = ""
    permanent: bool = False
    bounce: bool = True  # False: the failure is ours (e.g. the copy could not be built), not the recipient's


class Sender(Protocol):
    """A provider backend. It never imports the pipeline or the models."""

    name: str

    def send(self, batch: Iterable[Outgoing]) -> list[SendResult]:
        """Send every copy of the batch; one result per copy, never raising for a single recipient.

        The batch may be a generator building each copy when it is taken: a sender takes each copy once,
        in order, and may send one before taking the next.
        """
        ...

    def close(self) -> None:
        """Release connections."""
        ...
