"""A person's data: export everything stored about an address, erase it, leave an audit entry without it."""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import String, cast, func, select

from app.cli import cli
from app.commands import register
from app.extensions import db
from app.models import (
    AuditEntry,
    Bounce,
    Delivery,
    DeliveryStatus,
    Member,
    NoticeCount,
    Post,
    SystemMail,
    SystemMailKind,
)
from app.models.audit import CLI, record_by
from app.people.erase import REDACTED, address_hash, erase_person
from app.people.export import export_person
from tests.panel.conftest import held_post
from tests.support.factories import make_list, make_members

register(cli)
PAT = "pat@example.net"


def stored_about_pat() -> None:
    """Pat on two lists, with a copy, a bounce, a notice count, a pending mail, a held post, an audit entry."""
    news, talk = make_list("news@example.org", "News"), make_list("talk@example.org", "Talk")
    make_members(news, PAT, "kim@example.net")
    make_members(talk, PAT)
    member = db.session.scalar(select(Member).where(Member.email == PAT, Member.list_id == news.id))
    post = held_post(news, sender=PAT, subject="from pat")
    copy = Delivery(post_id=post.id, member_id=member.id, recipient=PAT, status=DeliveryStatus.SENT)
    db.session.add(copy)
    db.session.flush()
    db.session.add_all(
        [
            Bounce(list_id=news.id, member_id=member.id, delivery_id=copy.id, address=PAT, raw=b"bounce"),
            NoticeCount(address=PAT, day=date(2030, 1, 1), count=2),
            SystemMail(kind=SystemMailKind.CONFIRMATION, mail_from="x@example.org", rcpt=PAT, data=b"hi"),
        ]
    )
    record_by(CLI, "member.update", "list", news.id, news.id, email=PAT, changed=["name"])
    db.session.commit()


def test_export_names_everything_stored(app):
    stored_about_pat()
    data = export_person(PAT)
    assert sorted(m["list"] for m in data["memberships"]) == ["news@example.org", "talk@example.org"]
    assert data["memberships"][0]["delivery"] == "regular"
    assert len(data["deliveries"]) == len(data["bounces"]) == len(data["system_mail"]) == 1
    assert data["notice_counts"] == [{"day": "2030-01-01", "count": 2}]
    assert [p["subject"] for p in data["posts"]] == ["from pat"]
    assert [a["action"] for a in data["audit"]] == ["member.update"]
    json.dumps(data)  # all of it JSON-able


def test_erase_removes_and_redacts_and_the_audit_entry_has_no_address(app):
    stored_about_pat()
    erased = erase_person(PAT, CLI)
    assert (erased.memberships, erased.deliveries, erased.bounces) == (2, 1, 1)
    for model in (Delivery, Bounce, NoticeCount, SystemMail):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    assert [m.email for m in db.session.scalars(select(Member))] == ["kim@example.net"]
    post = db.session.scalar(select(Post))
    assert post.mail_from == REDACTED and PAT.encode() not in post.raw
    everything = " ".join(db.session.scalars(select(cast(AuditEntry.details, String))))
    assert PAT not in everything
    last = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
    assert last.action == "person.erase" and last.details["address_sha256"] == address_hash(PAT)
    assert export_person(PAT)["memberships"] == [] and export_person(PAT)["posts"] == []


def test_cli_people_export_and_erase(app):
    stored_about_pat()

    def mailflow(*args: str):
        return CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))

    exported = mailflow("people", "export", "Pat@Example.NET")
    assert exported.exit_code == 0 and json.loads(exported.output)["address"] == PAT
    assert mailflow("people", "export", "not an address").exit_code == 2
    erased = mailflow("people", "erase", PAT, "--yes")
    assert erased.exit_code == 0 and json.loads(erased.output)["memberships"] == 2
    assert db.session.scalar(select(func.count()).where(Member.email == PAT)) == 0
