"""The typed context that travels through the pipeline, and the closed set of outcomes."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from app.mail.authors import Author
from app.mail.mimescan import Part, scan
from app.mail.rawmessage import RawMessage
from app.models import MailingList, Member, Post


class Verdict(enum.StrEnum):
    CONTINUE = "continue"
    ACCEPT = "accept"
    HOLD = "hold"
    REJECT = "reject"
    DISCARD = "discard"


@dataclass(frozen=True)
class Outcome:
    """What one rule says: carry on, or accept/hold/reject/discard with a reason."""

    verdict: Verdict
    reason: str = ""


CONTINUE = Outcome(Verdict.CONTINUE)


def accept(reason: str = "") -> Outcome:
    return Outcome(Verdict.ACCEPT, reason)


def hold(reason: str) -> Outcome:
    return Outcome(Verdict.HOLD, reason)


def reject(reason: str) -> Outcome:
    return Outcome(Verdict.REJECT, reason)


def discard(reason: str) -> Outcome:
    return Outcome(Verdict.DISCARD, reason)


@dataclass
class PostContext:
    """One post on its way through the pipeline."""

    post: Post
    mlist: MailingList
    sender: str
    member: Member | None
    msg: RawMessage = field(default_factory=RawMessage)
    author: Author | None = None
    rule_hits: list[str] = field(default_factory=list)
    rule_misses: list[str] = field(default_factory=list)
    hold_reasons: list[str] = field(default_factory=list)
    _parts: tuple[bytes, Part] | None = field(default=None, repr=False)

    def parts(self) -> tuple[bytes, Part]:
        """The message bytes (CRLF) and their MIME tree as offsets: cheap even for a large post."""
        if self._parts is None:
            data = self.msg.to_bytes()
            self._parts = (data, scan(data))
        return self._parts
