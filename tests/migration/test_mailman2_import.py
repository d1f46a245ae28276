"""`mailflow import mailman2`: real and generated Mailman 2.1 lists, all or nothing, re-runs change nothing."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from app.cli import cli
from app.commands import register
from app.extensions import db
from app.mail import templates
from app.migration import apply as apply_module
from app.migration.apply import apply_plan
from app.migration.mailman2 import map_config
from app.models import (
    AllowedSender,
    ArchivedMessage,
    AuditEntry,
    Ban,
    FilterRule,
    ListRole,
    MailingList,
    Member,
    User,
)
from tests.conftest import FreshContextClient
from tests.support.factories import make_list, make_members
from tests.support.mailman2 import mailman2_config, python2_pickle
from tests.support.web import csrf_token
from tests.test_entry_points import env_for

register(cli)
FIXTURES = Path(__file__).parents[1] / "fixtures" / "mailman2"
ROOT = Path(__file__).parents[2]


@pytest.fixture
def mailflow(app):
    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))

    return invoke


def the_list(address: str = "test@example.org") -> MailingList | None:
    local, _, domain = address.partition("@")
    return db.session.scalar(select(MailingList).filter_by(local_part=local, domain=domain))


def counts() -> tuple[int, ...]:
    tables = (MailingList, Member, User, ListRole, Ban, AllowedSender, FilterRule, AuditEntry)
    return tuple(db.session.scalar(select(func.count()).select_from(t)) for t in tables)


def test_a_real_mailman2_list_through_the_console_script(app, settings):
    command = [sys.executable, "-m", "app.cli", "import", "mailman2", "test@example.org"]
    done = subprocess.run(
        [*command, str(FIXTURES / "config.pck")],
        env=env_for(settings),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "3 members added" in done.stdout and "member passwords were dropped" in done.stdout
    db.session.expire_all()
    mlist = the_list()
    assert (mlist.display_name, mlist.subject_prefix, mlist.subscription_policy) == (
        "Test",
        "[Test]",
        "confirm",
    )
    assert (mlist.nonmember_action, mlist.max_message_size, mlist.max_recipients) == ("hold", 40 * 1024, 10)
    names = dict(
        db.session.execute(select(Member.email, Member.name).where(Member.list_id == mlist.id)).all()
    )
    assert names == {
        "dperson@example.org": "Dave Person",
        "bperson@example.com": "Bill Person",
        "cris.person@example.net": "Cris Person",
    }
    owner = db.session.scalar(select(User).where(User.email == "anne@example.com"))
    assert owner is not None and not owner.active and not owner.check_password("")
    assert db.session.scalar(select(ListRole.role).where(ListRole.user_id == owner.id)) == "owner"
    footer = templates.render(
        mlist.footer_template,
        {"list_name": "Test", "list_address": mlist.address, "manage_url": "https://x/manage"},
    )
    assert footer.splitlines()[1:] == ["Test mailing list", "test@example.org", "https://x/manage"]


def test_an_imported_owner_sets_a_password_from_the_invitation_once(mailflow, app):
    result = mailflow("import", "mailman2", "test@example.org", str(FIXTURES / "config.pck"))
    assert result.exit_code == 0, result.output
    link = re.search(r"send them (https://\S+/invite/\S+)", result.output).group(1)
    path = link.removeprefix("https://lists.example.org")
    app.test_client_class = FreshContextClient
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and "anne@example.com" in page.get_data(as_text=True)
    form = {
        "new": "a long password",
        "repeat": "a long password",
        "csrf_token": csrf_token(page.get_data(as_text=True)),
    }
    assert client.post(path, data=form).status_code == 302
    db.session.expire_all()
    owner = db.session.scalar(select(User).where(User.email == "anne@example.com"))
    assert owner.active and owner.check_password("a long password")
    assert app.test_client().get(path).status_code == 404  # used up
    assert app.test_client().get(path[:-3] + "abc").status_code == 404  # forged
    again = CliRunner().invoke(
        cli, ["users", "invite", "anne@example.com"], obj=ScriptInfo(create_app=lambda: app)
    )
    assert again.exit_code == 2 and "already has a password" in again.output


def test_greek_text_is_decoded_with_the_lists_charset(mailflow):
    result = mailflow("import", "mailman2", "greek@example.org", str(FIXTURES / "config-greek.pck"))
    assert result.exit_code == 0, result.output
    assert the_list("greek@example.org").description == "Αυτή είναι μια λίστα."


def test_bounce_info_instances_and_nonmember_lists(mailflow):
    result = mailflow("import", "mailman2", "sig@example.org", str(FIXTURES / "config-with-instances.pck"))
    assert result.exit_code == 0, result.output
    mlist = the_list("sig@example.org")
    allowed = set(db.session.scalars(select(AllowedSender.pattern).where(AllowedSender.list_id == mlist.id)))
    assert "xxxxxxxx@exampl.com" in allowed and len(allowed) == 4
    assert "bounce records of 2 members were not carried over" in result.output


def test_running_the_import_again_changes_nothing(mailflow):
    first = mailflow("import", "mailman2", "test@example.org", str(FIXTURES / "config-with-instances.pck"))
    assert first.exit_code == 0, first.output
    before = counts()
    again = mailflow("import", "mailman2", "test@example.org", str(FIXTURES / "config-with-instances.pck"))
    assert again.exit_code == 0, again.output
    assert "0 members added (3 already there), 0 settings changed" in again.output
    assert counts() == before


def test_dry_run_reports_and_writes_nothing(mailflow):
    before = counts()
    result = mailflow("import", "mailman2", "test@example.org", str(FIXTURES / "config.pck"), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run, nothing written" in result.output and "not carried over" in result.output
    assert counts() == before and the_list() is None


def test_an_existing_list_with_other_members_is_refused_and_untouched(mailflow):
    mlist = make_list("test@example.org", "Ours", subject_prefix="[ours]")
    make_members(mlist, "someone@example.net")
    db.session.commit()
    before = counts()
    result = mailflow("import", "mailman2", "test@example.org", str(FIXTURES / "config.pck"))
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("mailflow import: the list test@example.org")
    db.session.expire_all()
    assert counts() == before and the_list().subject_prefix == "[ours]"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"\x80\x02}q\x00(U\x07members", "truncated or corrupt"), (b"hello", "truncated or corrupt")],
)
def test_a_broken_file_is_one_line_and_nothing_is_written(mailflow, tmp_path, content, message):
    path = tmp_path / "config.pck"
    path.write_bytes(content)
    before = counts()
    result = mailflow("import", "mailman2", "test@example.org", str(path))
    assert result.exit_code == 1 and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert counts() == before


def test_member_options_sender_lists_and_templates_map(mailflow, tmp_path):
    members = {
        b"ann@example.org": 0,
        b"mod@example.org": 0,
        b"away@example.org": 0,
        b"gone@example.org": 0,
        b"bounced@example.org": 0,
        b"bad@@example.org": 0,
    }
    config = mailman2_config(
        members,
        digest_members={b"digest@example.org": b"Digest@Example.org"},
        usernames={b"ann@example.org": "Ann Ünïcode"},
        user_options={b"mod@example.org": 128 | 2},
        member_moderation_action=1,
        delivery_status={
            b"away@example.org": (2, 0.0),
            b"gone@example.org": (3, 0.0),
            b"bounced@example.org": (4, 0.0),
        },
        ban_list=[b"spammer@example.net", b"^.*@spam\\.example$", b"^([bad"],
        hold_these_nonmembers=[b"hold.me@example.net"],
        discard_these_nonmembers=[b"^.*@junk\\.example$"],
        header_filter_rules=[(b"X-Spam-Score: \\*{5}", 3, False)],
        reply_goes_to_list=2,
        reply_to_address=b"replies@example.org",
        from_is_list=1,
        msg_footer=b"{{ 7*7 }} %(real_name)s %(user_password)s",
    )
    path = tmp_path / "config.pck"
    path.write_bytes(python2_pickle(config))
    result = mailflow("import", "mailman2", "team@example.org", str(path))
    assert result.exit_code == 0, result.output
    mlist = the_list("team@example.org")
    rows = {m.email: m for m in db.session.scalars(select(Member).where(Member.list_id == mlist.id))}
    assert set(rows) == {
        "ann@example.org",
        "mod@example.org",
        "away@example.org",
        "gone@example.org",
        "bounced@example.org",
        "digest@example.org",
    }
    assert rows["ann@example.org"].name == "Ann Ünïcode"
    assert rows["mod@example.org"].moderation_action == "reject"
    assert rows["ann@example.org"].moderation_action == "defer"
    assert rows["away@example.org"].delivery_enabled is False and rows["away@example.org"].status == "active"
    assert (rows["gone@example.org"].status, rows["gone@example.org"].disabled_reason) == (
        "disabled",
        "owner",
    )
    assert rows["bounced@example.org"].disabled_reason == "bounces"
    assert "bad@@example.org" in result.output and "not receiving their own posts" in result.output
    assert "digest members were imported as regular members" in result.output
    bans = set(db.session.scalars(select(Ban.pattern).where(Ban.list_id == mlist.id)))
    assert bans == {"spammer@example.net", "^.*@spam\\.example$"} and "^([bad" in result.output
    rules = {(r.condition, r.header, r.pattern, r.action) for r in db.session.scalars(select(FilterRule))}
    assert rules == {
        ("sender", "", "^hold\\.me@example\\.net$", "hold"),
        ("sender", "", "^.*@junk\\.example$", "discard"),
        ("header", "X-Spam-Score", "\\*{5}", "discard"),
    }
    assert (mlist.reply_to_mode, mlist.reply_to_address, mlist.dmarc_mode) == (
        "explicit",
        "replies@example.org",
        "always",
    )
    assert templates.render(mlist.footer_template, {"list_name": "Team"}) == "{{ 7*7 }} Team"
    assert "%(user_password)s" in result.output


def test_a_failure_half_way_leaves_nothing_behind(app, monkeypatch):
    config = mailman2_config({b"ann@example.org": 0, b"bob@example.org": 0})
    plan = map_config({k.decode(): v for k, v in config.items()}, "team@example.org")
    before = counts()

    def broken(*args):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(apply_module, "_sender_lists", broken)  # after the list and its members were written
    with pytest.raises(RuntimeError):
        apply_plan(plan)
    assert counts() == before and the_list("team@example.org") is None


MBOX = b"""From alice@example.org Mon Jan  4 10:00:00 2010
From: Alice <alice@example.org>
Subject: First post
Date: Mon, 04 Jan 2010 10:00:00 +0000
Message-ID: <one@example.org>

Hello list.
>From the archive: this line was quoted by pipermail.

From bob@example.org Tue Jan  5 11:00:00 2010
From: Bob <bob@example.org>
Subject: Re: First post
Date: Tue, 05 Jan 2010 11:00:00 +0000
Message-ID: <two@example.org>
In-Reply-To: <one@example.org>

Hello Alice.
"""


def test_the_archive_comes_along_once_and_the_policy_maps(mailflow, tmp_path):
    mbox = tmp_path / "test.mbox"
    mbox.write_bytes(MBOX)
    command = ("import", "mailman2", "test@example.org", str(FIXTURES / "config.pck"), "--archive", str(mbox))
    first = mailflow(*command)
    assert first.exit_code == 0, first.output
    assert "imported 2, skipped 0 already archived" in first.output
    mlist = the_list()
    assert mlist.archive_policy == "public"  # archive on, archive_private 0
    assert db.session.scalar(select(func.count()).select_from(ArchivedMessage)) == 2
    again = mailflow(*command)
    assert again.exit_code == 0 and "imported 0, skipped 2 already archived" in again.output
    assert db.session.scalar(select(func.count()).select_from(ArchivedMessage)) == 2
