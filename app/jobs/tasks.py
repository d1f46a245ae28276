"""RQ entry points: ids in, a few lines each; the work lives in the pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, has_app_context

from app import create_app
from app.bounces.reenable import tell_member_about_bounces
from app.extensions import db
from app.logcontext import about_post
from app.membership.importer import run_import
from app.models import Member
from app.pipeline.deliver import deliver_batch
from app.pipeline.runner import process
from app.sysmail.outbox import send_stored
from app.webhooks.sender import send_due

_worker_app: Flask | None = None


def bind_worker_app(app: Flask) -> None:
    """Give jobs run by this worker process the app they run in."""
    global _worker_app
    _worker_app = app


@contextmanager
def _app_context() -> Iterator[None]:
    if has_app_context():
        yield
        return
    global _worker_app
    if _worker_app is None:
        _worker_app = create_app(web=False)  # a job serves no request
    with _worker_app.app_context():
        yield


def process_post(post_id: int) -> None:
    """Decide what becomes of a post, prepare it and fan it out."""
    with _app_context(), about_post(post_id):
        process(post_id)


def deliver(post_id: int, delivery_ids: list[int]) -> None:
    """Send one batch of a post's copies."""
    with _app_context(), about_post(post_id):
        deliver_batch(post_id, delivery_ids)


def import_members(import_id: int) -> None:
    """Import an uploaded CSV file of members, keeping progress on its row."""
    with _app_context():
        run_import(import_id)


def send_system_mail(mail_id: int) -> None:
    """Try a stored notice, confirmation, command reply or owner forward again."""
    with _app_context():
        send_stored(mail_id)


def warn_about_bounces(member_id: int) -> None:
    """Send a member past the bounce warning threshold its one notice, with the re-enable link."""
    with _app_context():
        member = db.session.get(Member, member_id)
        if member is not None:
            tell_member_about_bounces(member)


def send_webhooks() -> None:
    """Send the webhook deliveries that are due."""
    with _app_context():
        send_due()
