"""Issue 16, a queue quick to work through: pages, attachments, the author's history, a fixed query count."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

from sqlalchemy import event

from app.extensions import db
from app.models import PostStatus
from tests.panel.conftest import held_post


def _with_attachment(sender: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Ann Example <{sender}>"
    msg["To"] = "alpha@example.org"
    msg["Subject"] = "minutes"
    msg.set_content("The minutes are attached.")
    msg.add_attachment(b"%PDF" + b"x" * 2044, maintype="application", subtype="pdf", filename="minutes.pdf")
    return msg.as_bytes(policy=SMTP)


def _queue(world) -> str:
    return f"/lists/{world['a'].id}/moderation"


def test_a_row_lists_attachments_and_the_authors_history(world, browser_for):
    mlist = world["a"]
    for status in (PostStatus.DISTRIBUTED, PostStatus.DISTRIBUTED, PostStatus.REJECTED):
        earlier = held_post(mlist, subject="earlier", sender="ann@example.net")
        earlier.status = status
    held_post(world["b"], subject="elsewhere", sender="ann@example.net").status = PostStatus.REJECTED
    db.session.commit()
    held_post(mlist, subject="minutes", sender="ann@example.net", raw=_with_attachment("ann@example.net"))
    held_post(mlist, subject="newcomer", sender="new@example.com")
    page = browser_for("mod@example.org").get(_queue(world)).data.decode()
    assert "minutes.pdf" in page and "application/pdf, 2.0 KB" in page
    assert '2 accepted</span>, <span class="nowrap">1 rejected or discarded' in page  # list B not counted
    assert "4 posts to this list" in page  # three earlier and this one; the post on list B is not counted
    assert "First post to this list" in page  # new@example.com


def test_pages_of_fifty_and_the_same_number_of_queries_for_five_or_fifty_rows(world, browser_for, app):
    browser = browser_for("mod@example.org")
    for i in range(5):
        held_post(world["a"], subject=f"post {i}", sender=f"sender{i}@example.com")
    few = _statements(app, lambda: browser.get(_queue(world)))
    for i in range(5, 60):
        held_post(world["a"], subject=f"post {i}", sender=f"sender{i}@example.com")
    many = _statements(app, lambda: browser.get(_queue(world)))
    assert many == few, "a query per row crept into the queue page"
    first = browser.get(_queue(world)).data.decode()
    assert "Held posts 1–50 of 60" in first and first.count('data-post="') == 50
    second = browser.get(_queue(world) + "?page=2").data.decode()
    assert second.count('data-post="') == 10 and "post 59" in second and "post 0<" not in second
    assert "Keys: <kbd>j</kbd>" in first


def _statements(app, request) -> int:
    count = 0

    def counter(*_args) -> None:
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        request()
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return count
