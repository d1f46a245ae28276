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
from app.models.idsets import among, update_each
from app.models.timestamps import utcnow
from app.pipeline import relayfault
from app.pipeline.claims import claim, fence, keep_loaded, lease_end, new_lease_id, renew_lease
from app.pipeline.lease import kept_alive
from app.pipeline.personalise import CopyFor, render_pieces
from app.pipeline.recipients import finish_if_done
from app.pipeline.sent_marks import ChunkStatements, Claimed

log = logging.getLogger(__name__)
# Outcomes are recorded after every COMMIT_EVERY copies. On PostgreSQL one chunk's record is on its way while
# the next chunk goes out (sent_marks.py), so a worker killed between the provider's acceptance and the record
# sends at most UNRECORDED_AT_MOST copies twice; on SQLite, one chunk (see docs/scaling.md).
COMMIT_EVERY = 25
UNRECORDED_AT_MOST = 2 * COMMIT_EVERY


def deliver_batch(post_id: int, delivery_ids: Sequence[int]) -> None:
    """Send the claimable copies among delivery_ids and record what happened to each."""
    lease_id = new_lease_id()
    if db.engine.dialect.name == "postgresql":
        reschedule_not_due(post_id, delivery_ids)  # the claims come chunk by chunk: set these aside first
        _deliver_streamed(post_id, delivery_ids, lease_id)
    else:
        _deliver_claimed(post_id, delivery_ids, lease_id)
    finish_if_done(post_id)


def _deliver_claimed(post_id: int, delivery_ids: Sequence[int], lease_id: str) -> None:
    """SQLite: claim the whole job in one statement, then send and record it chunk by chunk."""
    copies = claim(delivery_ids, lease_id)
    if len(copies) < len(delivery_ids):
        reschedule_not_due(post_id, delivery_ids)
    if copies:
        post = _prepared_post(post_id)
        with kept_alive([c.id for c in copies], lease_id):
            _send_all(post, copies, lease_id)


def _prepared_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or post.prepared is None:
        raise RuntimeError(f"post {post_id} has deliveries but no prepared message")
    return post


def reschedule_not_due(post_id: int, delivery_ids: Sequence[int]) -> None:
    """Copies of this job not due yet (it ran early, or another job set a later retry) get a job at their time."""
    now = utcnow()
    rows = db.session.execute(
        select(Delivery.id, Delivery.next_attempt_at).where(
            among(Delivery.id, delivery_ids),
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
    with keep_loaded():
        try:
            leased = chunks[0]  # the claim has just leased them
            for index in range(len(chunks)):
                results = _send(sender, post, leased, longest) if leased else []
                following = chunks[index + 1] if index + 1 < len(chunks) else []
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


def _deliver_streamed(post_id: int, delivery_ids: Sequence[int], lease_id: str) -> None:
    """PostgreSQL: claim two chunks; then send each chunk and, in one statement not waited for, record it and
    claim the chunk two further on (sent_marks.py)."""
    chunks = [
        list(delivery_ids[start : start + COMMIT_EVERY])
        for start in range(0, len(delivery_ids), COMMIT_EVERY)
    ]
    with _autocommit() as conn, kept_alive(delivery_ids, lease_id), keep_loaded():
        statements = ChunkStatements(conn, lease_id)
        first = statements.run({}, [i for chunk in chunks[:2] for i in chunk], *_claim_times())
        if first or len(chunks) > 2:
            _StreamedJob(post_id, chunks, statements, lease_id).run(first)


class _StreamedJob:
    """One PostgreSQL delivery job: chunk by chunk, at most one statement in flight (see _deliver_streamed)."""

    def __init__(
        self, post_id: int, chunks: list[list[int]], statements: ChunkStatements, lease_id: str
    ) -> None:
        self.post_id, self.chunks, self.statements, self.lease_id = post_id, chunks, statements, lease_id
        self.chunk_of = {i: n for n, chunk in enumerate(chunks) for i in chunk}
        self.held: dict[int, list[Claimed]] = {}
        self.post: Post | None = None  # loaded with the first copy to send
        self.longest: int | None = None
        self.sender = make_sender(current_app.config["MAILFLOW"], redis_connection())
        self.retries: list[Delivery] = []

    def run(self, first: list[Claimed]) -> None:
        """Send every chunk, then enqueue the retries."""
        self._hold(first)
        known_faults = relayfault.open_signatures()
        try:
            for index in range(len(self.chunks)):
                results = self._send(self.held.pop(index, []))
                self._hold(self.statements.read())  # the chunk before's record; it claimed the next chunk
                following = self.chunks[index + 2] if index + 2 < len(self.chunks) else []
                if all(r.ok for r in results) and not known_faults:
                    self.statements.send(
                        {r.delivery_id: r.provider_id for r in results}, following, *_claim_times()
                    )
                    _count(self.sender.name, results)
                    continue
                if self._settle(index, results, known_faults):
                    break
                self._hold(self.statements.run({}, following, *_claim_times()))
                known_faults = [] if any(r.ok for r in results) else known_faults
            self.statements.read()  # the last chunk's record
        finally:
            self.sender.close()
        retry_later(self.post_id, self.retries)

    def _hold(self, claimed: list[Claimed]) -> None:
        for copy in claimed:
            self.held.setdefault(self.chunk_of[copy.id], []).append(copy)

    def _send(self, copies: list[Claimed]) -> list[SendResult]:
        if not copies:
            return []
        if self.post is None:
            self.post = _prepared_post(self.post_id)
            self.longest = prepared_longest_line(self.post)
        return _send(self.sender, self.post, copies, self.longest)

    def _settle(self, index: int, results: list[SendResult], known_faults: list[str]) -> bool:
        """A chunk not every copy of which was accepted, recorded through the session; True on a relay fault."""
        fault = relayfault.fault_in(results, known_faults)
        results = _spare_members(results, fault) if fault else results
        to_retry, disabled = _apply(results, _loaded([r.delivery_id for r in results]))
        new_fault = _note_relay(self.post_id, results, fault, known_faults)
        db.session.commit()
        _count(self.sender.name, results)
        self.retries += to_retry
        _tell_owners(disabled)
        if not fault:
            return False
        self.retries += _put_off([i for chunk in self.chunks[index + 1 :] for i in chunk], self.lease_id)
        _stop_for_relay_fault(self.post_id, fault, results, new_fault)
        return True


def _put_off(ids: Sequence[int], lease_id: str) -> list[Delivery]:
    """After a relay fault, the job's copies not tried yet wait a backoff: those claimed ahead are given back
    (their attempt undone), those not claimed yet get a retry time; both come back as retries."""
    rest = _loaded(ids).values()
    retries = _release(
        [[c for c in rest if c.status == DeliveryStatus.SENDING and c.lease_owner == lease_id]], lease_id
    )
    now = utcnow()
    waiting = [c for c in rest if c.status == DeliveryStatus.PENDING and (c.next_attempt_at or now) <= now]
    for copy in waiting:
        copy.next_attempt_at = now + timedelta(seconds=backoff(copy.attempts))
    db.session.commit()
    return retries + waiting


def _claim_times() -> tuple[datetime, datetime]:
    """Now, and when a claim made now runs out."""
    now = utcnow()
    return now, lease_end(now)


def _loaded(ids: Sequence[int]) -> dict[int, Delivery]:
    """These copies as rows of the session, as they stand now (for the outcomes that are not plain "sent")."""
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Delivery).where(among(Delivery.id, ids)).execution_options(populate_existing=True)
    )
    return {row.id: row for row in rows}


def _count(egress: str, results: Sequence[SendResult]) -> None:
    """The batch's outcomes into the copies counters (a relay fault's copies count as temporary)."""
    permanent = sum(1 for r in results if not r.ok and r.permanent)
    sent = sum(1 for r in results if r.ok)
    copies_settled(egress, sent, len(results) - sent - permanent, permanent)


@contextmanager
def _autocommit() -> Iterator[Connection]:
    """PostgreSQL: a connection of the job's own for its chunk statements, each its own transaction.

    A connection left with a statement in flight by an error is closed, not returned to the pool.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        try:
            yield conn
        except BaseException:
            conn.invalidate()
            raise


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


def outgoing(post: Post, mlist: MailingList, c: CopyFor, prepared_longest: int | None) -> Outgoing:
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


def _send(sender: Sender, post: Post, copies: Sequence[CopyFor], longest: int | None) -> list[SendResult]:
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
