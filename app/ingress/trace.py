"""The `Received:` trace field the SMTP receiver prepends to every message it accepts (RFC 5321 §4.4)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import formatdate

# Anything a client may claim in HELO is reduced to these characters before it goes into a header.
UNSAFE = re.compile(r"[^A-Za-z0-9.\-_:\[\]]")
MAX_NAME = 255
IDENT = "MailFlow Relay"


@dataclass(frozen=True)
class Trace:
    """What the receiver knows about one SMTP transaction."""

    helo: str
    peer_ip: str
    by_host: str
    esmtp: bool
    tls: str = ""  # e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384"; empty without TLS
    smtputf8: bool = False
    for_rcpt: str = ""  # named only when the transaction has exactly one recipient


def _token(text: str) -> str:
    return UNSAFE.sub("", text)[:MAX_NAME] or "unknown"


def protocol(trace: Trace) -> str:
    """The `with` keyword of RFC 3848 / RFC 6531: SMTP, ESMTP, ESMTPS, UTF8SMTP, UTF8SMTPS."""
    if trace.smtputf8:
        return "UTF8SMTPS" if trace.tls else "UTF8SMTP"
    if not trace.esmtp:
        return "SMTP"
    return "ESMTPS" if trace.tls else "ESMTP"


def received_field(trace: Trace, when: float | None = None) -> bytes:
    """One folded `Received:` field with CRLF line ends, ready to prepend to the message."""
    lines = [f"Received: from {_token(trace.helo)} ([{_token(trace.peer_ip)}])"]
    lines.append(f"\tby {_token(trace.by_host)} ({IDENT}) with {protocol(trace)}")
    if trace.tls:
        lines.append(f"\t(using {_token(trace.tls.split()[0])} with cipher {_token(trace.tls.split()[-1])})")
    if (
        trace.for_rcpt
        and trace.for_rcpt.isascii()
        and "\r" not in trace.for_rcpt
        and "\n" not in trace.for_rcpt
    ):
        lines.append(f"\tfor <{trace.for_rcpt.strip('<>')[:MAX_NAME]}>;")
    else:
        lines[-1] += ";"
    lines.append(f"\t{formatdate(when, localtime=False)}")
    return ("\r\n".join(lines) + "\r\n").encode("ascii", "replace")
