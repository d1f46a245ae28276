"""DMARC mitigation: rewrite From to the list for authors whose domain publishes quarantine or reject."""

from __future__ import annotations

import enum
import logging
import threading
import time

import dns.exception
import dns.name
import dns.resolver
from flask import current_app

from app.mail.authors import Author, parse_mailbox, phrase
from app.mail.headersafety import clean, decode
from app.mail.rawmessage import RawMessage
from app.models import MailingList

log = logging.getLogger(__name__)
CACHE_SECONDS = 3600
MAX_WALK = 8  # DMARCbis tree walk: at most this many lookups per author domain
STRICT_POLICIES = ("quarantine", "reject")
_cache: dict[str, tuple[float, str | None]] = {}
_cache_lock = threading.Lock()


class DmarcMode(enum.StrEnum):
    OFF = "off"
    ALWAYS = "always"
    AUTO = "auto"


class AuthorField(enum.StrEnum):
    REPLY_TO = "reply-to"
    CC = "cc"


class DnsUnavailable(RuntimeError):
    """The resolver could not answer (timeout, SERVFAIL): the policy is unknown."""


def resolver() -> dns.resolver.Resolver:
    """A resolver for MAILFLOW_DNS_SERVER (IP[:PORT]), or the system's when it is not set."""
    settings = current_app.config["MAILFLOW"]
    if not settings.DNS_SERVER:
        res = dns.resolver.Resolver()
    else:
        res = dns.resolver.Resolver(configure=False)
        host, _, port = (
            settings.DNS_SERVER.rpartition(":")
            if settings.DNS_SERVER.count(":") == 1
            else (settings.DNS_SERVER, "", "")
        )
        res.nameservers = [host]
        res.port = int(port or 53)
    res.lifetime = settings.DNS_TIMEOUT
    return res


def parse_record(texts: list[str]) -> dict[str, str] | None:
    """The tags of the one DMARC record among TXT strings; None when there is none or more than one."""
    records = [t for t in texts if t.replace(" ", "").lower().startswith("v=dmarc1")]
    if len(records) != 1:
        return None
    tags = {}
    for item in records[0].split(";"):
        key, eq, value = item.partition("=")
        if eq:
            tags[key.strip().lower()] = value.strip().lower()
    return tags


def _lookup(name: str) -> dict[str, str] | None:
    try:
        answer = resolver().resolve(f"_dmarc.{name}", "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.LifetimeTimeout) as exc:
        raise DnsUnavailable(f"_dmarc.{name}: {exc}") from exc
    texts = [b"".join(rdata.strings).decode("ascii", "replace") for rdata in answer]
    return parse_record(texts)


def lookup_policy(domain: str) -> str | None:
    """The DMARC policy that applies to mail from domain (p=, or sp= when found at a parent), or None.

    Walks up the DNS tree (DMARCbis) instead of a public suffix list; never queries a bare TLD.
    """
    labels = dns.name.from_text(domain).to_text(omit_final_dot=True).lower().split(".")
    names = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    if len(names) > MAX_WALK:
        names = names[:1] + names[-(MAX_WALK - 1) :]
    for depth, name in enumerate(names):
        tags = _lookup(name)
        if tags is not None:
            return tags.get("p") if depth == 0 else tags.get("sp", tags.get("p"))
    return None


def policy_for(domain: str) -> str | None:
    """lookup_policy, cached per domain for an hour (answers only; failures are not cached)."""
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(domain)
        if hit is not None and hit[0] > now:
            return hit[1]
    policy = lookup_policy(domain)
    with _cache_lock:
        _cache[domain] = (now + CACHE_SECONDS, policy)
    return policy


def clear_cache() -> None:
    """Forget every cached policy (tests, or after changing MAILFLOW_DNS_SERVER)."""
    with _cache_lock:
        _cache.clear()


def needs_mitigation(author: Author | None) -> bool:
    """True for an author whose domain asks receivers to quarantine or reject failing mail.

    An author we cannot parse, or a DNS failure, counts as strict: a rewritten From is safer than a bounce.
    """
    if author is None:
        return True
    try:
        return policy_for(author.domain) in STRICT_POLICIES
    except DnsUnavailable as exc:
        log.warning("DMARC lookup failed (%s): rewriting From to be safe", exc)
        return True


def rewrite_from(mlist: MailingList, msg: RawMessage, author: Author | None) -> None:
    """From becomes "Author via List" <list@...>; the author goes to Reply-To (or Cc) and X-Original-From."""
    original = msg.get("From") or ""
    shown = (author.name or author.address) if author else (decode(original) or "Unknown sender")
    msg.set("From", f"{phrase(f'{shown} via {mlist.name}')} <{mlist.address}>")
    msg.remove("X-Original-From")
    if author is None:
        if original:
            msg.append("X-Original-From", phrase(decode(original)))
        return
    msg.append("X-Original-From", author.header_value())
    target = "Cc" if mlist.dmarc_author_field == AuthorField.CC else "Reply-To"
    existing = clean(msg.get(target) or "")
    if author.address in existing.lower():
        return
    msg.set(target, f"{existing}, {author.header_value()}" if existing else author.header_value())


def dmarc(mlist: MailingList, msg: RawMessage) -> None:
    """The prepare handler: off, always, or auto (look up the author's DMARC policy)."""
    mode = DmarcMode(mlist.dmarc_mode or DmarcMode.AUTO)
    if mode == DmarcMode.OFF:
        return
    author = parse_mailbox(msg.get("From"))
    if author is not None and author.address == mlist.address.lower():
        return
    if mode == DmarcMode.ALWAYS or needs_mitigation(author):
        rewrite_from(mlist, msg, author)
