"""Deliver phase: claim a batch of copies, personalise, send through the egress, record each outcome."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Connection, Update, select
from sqlalchemy.orm.attributes import set_committed_value

from app.bounces.scoring import BounceReport, record_bounce, tell_owners_disabled
from app.bounces.verp import verp_address
from app.egress import Outgoing, Sender, SendResult, make_sender
from app.egress.wire import MAX_LINE, is_clean, longest_line, to_wire
from app.extensions import db
from app.jobs.queues import Job, enqueue, redis_connection
from app.jobs.retry_policy import backoff, may_retry
from app.metrics.instruments import copies_settled
from app.models import BounceKind, Delivery, DeliveryStatus, MailingList, Member, Post
from app.models.idsets import update_each
from app.models.timestamps import utcnow
from app.pipeline import relayfault
from app.pipeline.claims import claim, fence, keep_loaded, new_lease_id, renew_lease
from app.pipeline.lease import kept_alive
from app.pipeline.personalise import render_pieces
from app.pipeline.recipients import finish_if_done
from app.pipeline.sent_marks import mark_sent_and_fence

log = logging.getLogger(__name__)
# Outcomes are committed after every COMMIT_EVERY copies: a worker killed between the provider's
# acceptance and that commit sends at most this many copies twice (see docs/scaling.md).
COMMIT_EVERY = 50


def deliver_batch(post_id: int, delivery_ids: Sequence[int]) -> None:
    """Send the claimable copies among delivery_ids and record what happened to each."""
    lease_id = new_lease_id()
    copies = claim(delivery_ids, lease_id)
    if len(copies) < len(delivery_ids):
        reschedule_not_due(post_id, delivery_ids)
    if copies:
        post = db.session.get(Post, post_id)
        if post is None or post.prepared is None:
            raise RuntimeError(f"post {post_id} has deliveries but no prepared message")
        with kept_alive([c.id for c in copies], lease_id):
            _send_all(post, copies, lease_id)
    finish_if_done(post_id)


def reschedule_not_due(post_id: int, delivery_ids: Sequence[int]) -> None:
    """Copies of this job not due yet (it ran early, or another job set a later retry) get a job at their time."""
    now = utcnow()
    rows = db.session.execute(
        select(Delivery.id, Delivery.next_attempt_at).where(
            Delivery.id.in_(delivery_ids),
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.next_attempt_at > now,
        )
    ).all()
    if not rows:
        return
    by_delay: dict[int, list[int]] = {}
    for row in rows:
        by_delay.setdefault(math.ceil((row.next_attempt_at - now).total_seconds()), []).append(row.id)
    for delay, ids in sorted(by_delay.items()):
        enqueue(Job.DELIVER, post_id, ids, delay=delay)


def _send_all(post: Post, copies: list[Delivery], lease_id: str) -> None:
    sender = make_sender(current_app.config["MAILFLOW"], redis_connection())
    retries: list[Delivery] = []
    chunks = [copies[start : start + COMMIT_EVERY] for start in range(0, len(copies), COMMIT_EVERY)]
    longest = prepared_longest_line(post)
    known_faults = relayfault.open_signatures()
    with keep_loaded(), _autocommit() as fast:
        try:
            leased = chunks[0]  # the claim has just leased them
            for index in range(len(chunks)):
                results = _send(sender, post, leased, longest) if leased else []
                following = chunks[index + 1] if index + 1 < len(chunks) else []
                if fast is not None and results and all(r.ok for r in results) and not known_faults:
                    leased = _record_all_sent(fast, results, {c.id: c for c in leased}, following, lease_id)
                    _count(sender.name, results)
                    continue
                fault = relayfault.fault_in(results, known_faults)
                results = _spare_members(results, fault) if fault else results
                to_retry, disabled = _apply(results, {c.id: c for c in leased})
                leased = fence(following, lease_id) if following and not fault else []
                new_fault = _note_relay(post.id, results, fault, known_faults)
                db.session.commit()  # this chunk's outcomes, in one transaction
                _count(sender.name, results)
                retries += to_retry
                _tell_owners(disabled)
                if fault:
                    retries += _release(chunks[index + 1 :], lease_id)
                    _stop_for_relay_fault(post.id, fault, results, new_fault)
                    break
                known_faults = [] if any(r.ok for r in results) else known_faults
        finally:
            sender.close()
    retry_later(post.id, retries)


def _count(egress: str, results: Sequence[SendResult]) -> None:
    """The batch's outcomes into the copies counters (a relay fault's copies count as temporary)."""
    permanent = sum(1 for r in results if not r.ok and r.permanent)
    sent = sum(1 for r in results if r.ok)
    copies_settled(egress, sent, len(results) - sent - permanent, permanent)


@contextmanager
def _autocommit() -> Iterator[Connection | None]:
    """PostgreSQL: a connection of its own for the chunks every copy of which was accepted (None on SQLite).

    Each such chunk is one autocommit statement, one round trip; through the session it was four (pool
    ping, BEGIN, the statement, COMMIT). SQLite is in-process: one transaction per chunk costs it less.
    """
    if db.engine.dialect.name != "postgresql":
        yield None
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


def _record_all_sent(
    conn: Connection,
    results: Sequence[SendResult],
    copies: dict[int, Delivery],
    following: list[Delivery],
    lease_id: str,
) -> list[Delivery]:
    """Every copy of the chunk accepted: record them and fence the next chunk in one statement (a DML CTE)."""
    now = utcnow()
    provider_ids = {r.delivery_id: r.provider_id for r in results}
    rows = mark_sent_and_fence(conn, provider_ids, now, [c.id for c in following], lease_id)
    _mark_sent(copies, provider_ids, now)
    if not following:
        return []
    leased = fence(following, lease_id, rows)
    db.session.commit()  # a renewal the fence had to make; nothing (no round trip) otherwise
    return leased


def _spare_members(results: Sequence[SendResult], fault: str) -> list[SendResult]:
    """Copies refused by a relay fault become temporary failures that count against no one."""
    return [
        SendResult(r.delivery_id, ok=False, error=f"relay fault (no bounce counted): {r.error}", bounce=False)
        if relayfault.is_fault(r, fault)
        else r
        for r in results
    ]


def _note_relay(post_id: int, results: Sequence[SendResult], fault: str | None, known: list[str]) -> bool:
    """Record a fault (True when it is new), or clear open faults once the relay accepts copies again."""
    if fault:
        refused = [r for r in results if r.error.startswith("relay fault")]
        return relayfault.record_fault(fault, refused[0].error if refused else fault, post_id, len(refused))
    if known and any(r.ok for r in results):
        relayfault.clear_faults()
    return False


def _release(chunks: Sequence[Sequence[Delivery]], lease_id: str) -> list[Delivery]:
    """Copies of this batch not tried because of a relay fault go back to pending, their attempt undone."""
    rest = [c for chunk in chunks for c in chunk]
    if not rest:
        return []
    released = renew_lease(rest, lease_id, commit=False)
    now = utcnow()
    for copy in released:
        copy.status, copy.lease_until, copy.attempts = DeliveryStatus.PENDING, None, max(copy.attempts - 1, 0)
        copy.next_attempt_at = now + timedelta(seconds=backoff(copy.attempts))
    db.session.commit()
    return released


def _stop_for_relay_fault(post_id: int, fault: str, results: Sequence[SendResult], new: bool) -> None:
    refused = sum(1 for r in results if r.error.startswith("relay fault"))
    log.error(
        "post %s: relay fault, %d of %d copies refused the same way (%s); batch stopped, copies kept "
        "pending, no bounce counted",
        post_id,
        refused,
        len(results),
        fault,
    )
    if new:
        sample = next(r.error for r in results if r.error.startswith("relay fault"))
        relayfault.tell_admins(fault, sample.removeprefix("relay fault (no bounce counted): "), post_id)


def outgoing(post: Post, mlist: MailingList, c: Delivery, prepared_longest: int | None) -> Outgoing:
    """One finished copy: personal header fields, the prepared post, VERP envelope sender, tags.

    prepared_longest is the prepared post's longest line when it is wire-clean (None when it is not): then
    only the pieces spliced in for this recipient are checked, not the whole post again.
    """
    data, added = render_pieces(post, mlist, c)
    clean = prepared_longest is not None and added.clean and prepared_longest + added.edge <= MAX_LINE
    tags = (("list", mlist.list_id), ("post", str(post.id)), ("delivery", str(c.id)))
    wire = data if clean else to_wire(data)
    return Outgoing(c.id, verp_address(mlist.role_address("bounces"), c.id), c.recipient, wire, tags)


def prepared_longest_line(post: Post) -> int | None:
    """The prepared post's longest line, or None when it is not wire-clean as it stands."""
    return longest_line(post.prepared) if post.prepared is not None and is_clean(post.prepared) else None


def _send(sender: Sender, post: Post, copies: list[Delivery], longest: int | None) -> list[SendResult]:
    """The chunk built copy by copy as the sender takes it (the relay answers one while the next is built)."""
    mlist: MailingList = post.mailing_list
    unbuildable: list[SendResult] = []

    def built() -> Iterator[Outgoing]:
        for c in copies:
            try:
                yield outgoing(post, mlist, c, longest)
            except ValueError as exc:  # e.g. a header line that cannot be folded to 998 octets
                unbuildable.append(
                    SendResult(c.id, ok=False, error=f"copy not built: {exc}", permanent=True, bounce=False)
                )

    return sender.send(built()) + unbuildable


def _tell_owners(disabled: Sequence[Member]) -> None:
    for member in disabled:
        tell_owners_disabled(member)


def _apply(results: Sequence[SendResult], copies: dict[int, Delivery]) -> tuple[list[Delivery], list[Member]]:
    """Set each copy's outcome; returns the copies to retry and members now disabled."""
    now = utcnow()
    _record_sent([r for r in results if r.ok], copies, now)
    retry_days = current_app.config["MAILFLOW"].SMTP_RETRY_DAYS
    retries: list[Delivery] = []
    disabled: list[Member] = []
    for result in results:
        if result.ok:
            continue
        copy = copies[result.delivery_id]
        copy.lease_until = None
        if not result.permanent and may_retry(copy.created_at, now, retry_days):
            copy.status, copy.last_error = DeliveryStatus.PENDING, result.error[:2000]
            copy.next_attempt_at = now + timedelta(seconds=backoff(copy.attempts))
            retries.append(copy)
        else:
            reason = result.error if result.permanent else f"retry window ended; last error: {result.error}"
            status = DeliveryStatus.BOUNCED if result.permanent else DeliveryStatus.FAILED
            if result.bounce:  # the recipient refused it, for good or until the window ended
                disabled += _bounced(copy, reason, status)
            else:
                copy.status, copy.last_error = DeliveryStatus.FAILED, reason[:2000]
    return retries, disabled


def _record_sent(results: Sequence[SendResult], copies: dict[int, Delivery], now: datetime) -> None:
    """The copies the provider accepted, in one UPDATE per chunk: the fan-out's hot path, not one per row."""
    if results:
        provider_ids = {r.delivery_id: r.provider_id for r in results}
        db.session.execute(_sent_update(provider_ids, now))
        _mark_sent(copies, provider_ids, now)


def _sent_values(now: datetime) -> dict[str, object]:
    # An earlier try's error and retry time no longer apply.
    return {
        "status": DeliveryStatus.SENT,
        "sent_at": now,
        "lease_until": None,
        "next_attempt_at": None,
        "last_error": "",
    }


def _sent_update(provider_ids: dict[int, str], now: datetime) -> Update:
    """One statement marking these copies sent, each with its provider's id."""
    sent = update_each(Delivery, Delivery.provider_message_id, provider_ids, **_sent_values(now))
    return sent.execution_options(synchronize_session=False)


def _mark_sent(copies: dict[int, Delivery], provider_ids: dict[int, str], now: datetime) -> None:
    """Tell the loaded rows what was written, as committed state: the session has nothing to flush for them."""
    values = _sent_values(now)
    for delivery_id, provider_id in provider_ids.items():
        copy = copies[delivery_id]
        for key, value in (*values.items(), ("provider_message_id", provider_id)):
            set_committed_value(copy, key, value)


def _bounced(copy: Delivery, reason: str, status: DeliveryStatus) -> list[Member]:
    """A copy the egress refused for good counts as a hard bounce of its member."""
    member = db.session.get(Member, copy.member_id)
    report = BounceReport(copy.recipient, BounceKind.HARD, reason)
    _, disabled = record_bounce(member.list_id if member else None, member, copy, report)
    copy.status, copy.last_error = status, reason[:2000]
    return [member] if disabled and member is not None else []


def retry_later(post_id: int, copies: Sequence[Delivery]) -> None:
    """Enqueue temporary failures again, each group at its own backoff."""
    if not copies:
        return

    by_delay: dict[int, list[int]] = {}
    for copy in copies:
        by_delay.setdefault(backoff(copy.attempts), []).append(copy.id)
    for delay, ids in sorted(by_delay.items()):
        log.warning("post %s: %d copies failed for now, retrying in %ss", post_id, len(ids), delay)
        enqueue(Job.DELIVER, post_id, ids, delay=delay)
