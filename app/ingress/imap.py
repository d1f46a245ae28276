"""The IMAP poller (`mailflow imap`): fetch, accept(), and only after the commit file the message away."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.ingress.accept import Envelope, accept, accept_batch
from app.ingress.headers import summary
from app.ingress.imap_mailbox import CONNECTION_ERRORS, Mailbox, MailboxConfig, connect
from app.ingress.imap_match import list_recipients, return_path
from app.ingress.imap_oversized import HEADER_BYTES, tell_owners
from app.ingress.locks import LockKeeper, acquire_waiting, make_lock
from app.metrics.instruments import ingress_stored
from app.models import ImapCursor, PostSource

log = logging.getLogger(__name__)


@dataclass
class Backoff:
    """Waits that double after each failure, up to a cap; reset after a success."""

    base: float = 1.0
    cap: float = 60.0
    failures: int = field(default=0)

    def next(self) -> float:
        wait = min(self.cap, self.base * 2**self.failures)
        self.failures += 1
        return wait

    def reset(self) -> None:
        self.failures = 0


class StoreFailed(RuntimeError):
    """A message could not be stored; it stays in the mailbox and is tried again after a backoff."""


@dataclass
class ChunkOutcome:
    stored: list[int] = field(default_factory=list)
    unmatched: list[int] = field(default_factory=list)
    oversized: list[int] = field(default_factory=list)
    failed: bool = False


def plan_chunk(
    uids: list[int], sizes: dict[int, int], max_size: int, budget: int
) -> tuple[list[int], list[int]]:
    """(UIDs to fetch, oversized UIDs): the longest ascending prefix whose fetch stays within budget bytes.

    The first message that fits the size limit is always taken, so a chunk is never empty while mail waits;
    oversized messages inside the prefix are set aside without fetching. A UID the server no longer
    reports a size for (expunged meanwhile) is passed to fetch, which skips it.
    """
    fetch: list[int] = []
    oversized: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if size > max_size:
            oversized.append(uid)
            continue
        if fetch and total + size > budget:
            break
        fetch.append(uid)
        total += size
    return fetch, oversized


class Poller:
    """Drains the watched folder, then IDLEs (or sleeps) until there is more; reconnects with backoff."""

    def __init__(
        self,
        app: Flask,
        config: MailboxConfig,
        stop: threading.Event | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.app, self.config = app, config
        self.stop = stop or threading.Event()
        self.backoff = backoff or Backoff()

    def run(self) -> None:
        """Serve until stop is set."""
        while not self.stop.is_set():
            try:
                with self.app.app_context():
                    self._session()
            except (*CONNECTION_ERRORS, SQLAlchemyError, StoreFailed) as exc:
                wait = self.backoff.next()
                log.warning(
                    "IMAP poller for %s: %s: %s; trying again in %.1fs",
                    self.config.mailbox,
                    type(exc).__name__,
                    exc,
                    wait,
                )
                self.stop.wait(wait)

    def _session(self) -> None:
        client = connect(self.config)
        try:
            mailbox = Mailbox(client, self.config)
            log.info(
                "IMAP poller connected to %s (%s)",
                self.config.mailbox,
                "IDLE" if mailbox.can_idle else f"polling every {self.config.poll_seconds}s",
            )
            while not self.stop.is_set():
                self.drain(mailbox)
                self.backoff.reset()
                if mailbox.can_idle:
                    mailbox.wait_for_news(self.config.idle_seconds, self.stop.is_set)
                else:
                    self.stop.wait(self.config.poll_seconds)
        finally:
            try:
                client.logout()
            except CONNECTION_ERRORS:
                client.shutdown()

    def drain(self, mailbox: Mailbox) -> int:
        """Handle every message above the cursor, in chunks; returns how many were filed away."""
        cursor = self._cursor(mailbox.select())
        handled = 0
        while not self.stop.is_set():
            uids = mailbox.uids_after(cursor.last_uid)[: self.config.batch_size]
            if not uids:
                break
            sizes = mailbox.sizes(uids)
            wanted, oversized = plan_chunk(uids, sizes, self.config.max_message_size, self.config.batch_bytes)
            outcome = self._chunk(mailbox, wanted) if wanted else ChunkOutcome()
            outcome.oversized = self._set_aside(mailbox, oversized, sizes)
            mailbox.file_processed(outcome.stored)
            mailbox.move(outcome.unmatched, self.config.unmatched_folder)
            done = outcome.stored + outcome.unmatched
            handled += len(done) + len(outcome.oversized)
            # After a failure the cursor must not pass the failed message (oversized mail is gone anyway).
            if not outcome.failed:
                done += outcome.oversized
            if done:
                cursor.last_uid = max(done)
                db.session.commit()
            if outcome.failed:
                raise StoreFailed(f"a message in {self.config.folder} could not be stored")
        return handled

    def _set_aside(self, mailbox: Mailbox, uids: list[int], sizes: dict[int, int]) -> list[int]:
        """Move oversized messages to their folder, then tell their lists' owners; returns the UIDs moved."""
        if not uids:
            return []
        headers = {uid: mailbox.headers(uid, HEADER_BYTES) for uid in uids}
        mailbox.move(uids, self.config.oversized_folder)
        for uid in uids:
            log.warning(
                "IMAP message UID %s in %s is %s bytes (limit %s): moved to %s",
                uid,
                self.config.mailbox,
                sizes.get(uid, "?"),
                self.config.max_message_size,
                self.config.oversized_folder,
            )
            tell_owners(
                headers[uid], sizes.get(uid, 0), self.config.max_message_size, self.config.oversized_folder
            )
        return uids

    def _chunk(self, mailbox: Mailbox, uids: list[int]) -> ChunkOutcome:
        outcome, todo = ChunkOutcome(), []
        fetched = mailbox.fetch(uids)
        for uid in uids:  # ascending: the cursor may only pass messages that are done
            raw = fetched.get(uid)
            if raw is None:
                continue  # expunged by someone else since the search
            envelope = self.envelope(raw)
            if envelope is None:
                outcome.unmatched.append(uid)
            else:
                todo.append((uid, raw, envelope))
        try:
            started = time.monotonic()
            accept_batch([(raw, envelope) for _, raw, envelope in todo])
            for _ in todo:  # each message of the chunk waited for the chunk's commit
                ingress_stored(PostSource.IMAP, time.monotonic() - started)
            outcome.stored = [uid for uid, _, _ in todo]
        except (SQLAlchemyError, LookupError) as exc:
            db.session.rollback()
            log.warning(
                "chunk of %d messages not stored at once (%s); storing them one by one", len(todo), exc
            )
            self._one_by_one(todo, outcome)
        return outcome

    def _one_by_one(self, todo: list[tuple[int, bytes, Envelope]], outcome: ChunkOutcome) -> None:
        for uid, raw, envelope in todo:
            try:
                accept(raw, envelope)
            except (SQLAlchemyError, LookupError) as exc:
                db.session.rollback()
                log.warning(
                    "message UID %s in %s not stored (%s); it stays and is retried",
                    uid,
                    self.config.folder,
                    exc,
                )
                outcome.failed = True
                # Later messages wait too: unmatched ones before the failure may still be moved.
                outcome.unmatched = [u for u in outcome.unmatched if u < uid]
                return
            outcome.stored.append(uid)

    def envelope(self, raw: bytes) -> Envelope | None:
        """The envelope for accept(): the lists the message names; None when it names none (-> unmatched)."""
        rcpts = list_recipients(raw)
        if not rcpts:
            log.warning(
                "IMAP message for no list in %s (%s): moved to %s",
                self.config.mailbox,
                _describe(raw),
                self.config.unmatched_folder,
            )
            return None
        return Envelope(
            mail_from=return_path(raw),
            rcpt_tos=tuple(rcpts),
            source=PostSource.IMAP,
            peer=f"imap://{self.config.mailbox}/{self.config.folder}",
            tls=self.config.security != "none",
        )

    def _cursor(self, uidvalidity: int) -> ImapCursor:
        cursor = db.session.scalar(
            select(ImapCursor).where(
                ImapCursor.mailbox == self.config.mailbox, ImapCursor.folder == self.config.folder
            )
        )
        if cursor is None:
            cursor = ImapCursor(
                mailbox=self.config.mailbox, folder=self.config.folder, uidvalidity=uidvalidity, last_uid=0
            )
            db.session.add(cursor)
        elif cursor.uidvalidity != uidvalidity:
            log.warning(
                "UIDVALIDITY of %s in %s changed (%s -> %s): rescanning the folder; posts already "
                "stored are recognised by their bytes",
                self.config.folder,
                self.config.mailbox,
                cursor.uidvalidity,
                uidvalidity,
            )
            cursor.uidvalidity, cursor.last_uid = uidvalidity, 0
        db.session.commit()
        return cursor


def _describe(raw: bytes) -> str:
    head = summary(raw)
    return f"Message-ID {head['message_id'] or '-'}, from {head['sender'] or '-'}"


def lock_name(config: MailboxConfig) -> str:
    """The lock that keeps a second poller off this mailbox."""
    return f"imap:{config.mailbox}/{config.folder}"


class PollerBusy(RuntimeError):
    """This poller lost the mailbox lock to another poller: it must not run on."""


LOCK_TTL_SECONDS = 30.0  # a poller on another host takes over at most this long after this one died


def serve(app: Flask, stop: threading.Event, lock_ttl: float = LOCK_TTL_SECONDS) -> None:
    """Run the poller under the mailbox lock until stop is set, waiting for the lock while another holds it."""
    config = MailboxConfig.from_settings(app.config["MAILFLOW"])
    lock = make_lock(app, lock_name(config), lock_ttl)
    if not acquire_waiting(lock, stop, f"IMAP poller for {config.mailbox}/{config.folder}"):
        return  # asked to stop while waiting
    keeper = LockKeeper(lock, stop)
    keeper.start()
    try:
        Poller(app, config, stop).run()
    finally:
        keeper.close()
    if keeper.lost.is_set():
        raise PollerBusy(f"the lock for {config.mailbox}/{config.folder} was lost; stopped")
