"""Issue 16, the Senders tab: allowed and banned senders, moderated members, import/export, site bans, password."""

from __future__ import annotations

from io import BytesIO

from sqlalchemy import select

from app.extensions import db
from app.models import AllowedSender, AuditEntry, Ban, Member, PatternKind
from app.models.audit import CLI
from app.moderation import senders as svc
from app.moderation.bans import banned_by


def _page(world) -> str:
    return f"/lists/{world['a'].id}/senders"


def _audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_an_exact_address_is_saved_at_once_and_can_be_edited_and_removed(world, browser_for):
    browser = browser_for("mod@example.org")  # moderators of the list use the tab too
    done = browser.submit(
        _page(world), {"which": "allowed", "pattern": " Friend@Example.com ", "save": "Save"}
    )
    assert done.status_code == 302
    entry = db.session.scalars(select(AllowedSender)).one()
    assert (entry.pattern, entry.kind, entry.list_id) == ("friend@example.com", "address", world["a"].id)
    page = browser.get(_page(world) + f"?edit=allowed:{entry.id}").data.decode()
    assert 'value="friend@example.com"' in page and "Edit an entry" in page
    edited = browser.submit(
        _page(world),
        {"which": "allowed", "pattern": "pal@example.com", "entry_id": str(entry.id), "save": "Save"},
    )
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(AllowedSender.pattern)).all() == ["pal@example.com"]
    gone = browser.submit(_page(world), {}, action=f"{_page(world)}/allowed/{entry.id}/delete")
    assert gone.status_code == 302
    assert db.session.scalars(select(AllowedSender)).all() == []
    assert _audit_actions() == ["allow.add", "allow.edit", "allow.remove"]


def test_duplicates_and_bad_patterns_are_refused_with_a_reason(world, browser_for):
    browser = browser_for("owner@example.org")
    browser.submit(_page(world), {"which": "banned", "pattern": "spam@example.com", "save": "Save"})
    again = browser.submit(_page(world), {"which": "banned", "pattern": "SPAM@example.com", "save": "Save"})
    assert again.status_code == 400 and b"on this list already" in again.data
    word = browser.submit(_page(world), {"which": "banned", "pattern": "spammer", "save": "Save"})
    assert word.status_code == 400 and b"Write a whole address" in word.data
    assert db.session.scalars(select(Ban.pattern)).all() == ["spam@example.com"]


def test_an_entry_of_another_list_is_not_found(world, browser_for):
    other = Ban(list_id=world["b"].id, pattern="x@example.com")
    db.session.add(other)
    db.session.commit()
    browser = browser_for("owner@example.org")
    assert browser.get(_page(world) + f"?edit=banned:{other.id}").status_code == 404
    gone = browser.submit(_page(world), {}, action=f"{_page(world)}/banned/{other.id}/delete")
    assert gone.status_code == 404
    assert db.session.get(Ban, other.id) is not None


def test_import_reports_bad_lines_and_export_reads_back(world, browser_for):
    browser = browser_for("owner@example.org")
    lines = "# spammers\nA@example.com\n\n^.*@spam\\.example$\nnot an address\n^(broken\na@example.com\n"
    browser.submit(_page(world), {"which": "banned", "lines": lines}, action=f"{_page(world)}/import")
    page = browser.get(_page(world)).data.decode()
    assert "Added 2; 1 were there already; 2 line(s) not used." in page
    assert "Line 5: Write a whole address" in page and "Line 6: The regular expression" in page
    text = browser.get(f"{_page(world)}/banned.txt")
    assert text.data.decode() == "a@example.com\n^.*@spam\\.example$\n"
    exported = browser.get(f"{_page(world)}/banned.csv").data
    assert exported.startswith(b"pattern,kind,added\na@example.com,address,")
    upload = {"which": "allowed", "file": (BytesIO(exported), "bans.csv")}
    browser.submit(_page(world), upload, action=f"{_page(world)}/import", content_type="multipart/form-data")
    allowed = db.session.execute(select(AllowedSender.pattern, AllowedSender.kind).order_by(AllowedSender.id))
    assert allowed.all() == [("a@example.com", "address"), ("^.*@spam\\.example$", "regex")]


def test_moderated_members_are_listed_changed_and_released(world, browser_for):
    browser = browser_for("owner@example.org")
    action = f"{_page(world)}/moderated"
    browser.submit(_page(world), {"address": "Ann@example.net", "action": "hold"}, action=action)
    page = browser.get(_page(world)).data.decode()
    assert 'id="moderated-members"' in page and "ann@example.net" in page
    stranger = browser.submit(_page(world), {"address": "zed@example.net", "action": "hold"}, action=action)
    assert "is not a member" in browser.get(stranger.location).data.decode()
    browser.submit(_page(world), {"address": "ann@example.net", "action": "default"}, action=action)
    member = db.session.scalars(select(Member).where(Member.email == "ann@example.net")).one()
    db.session.refresh(member)
    assert member.moderation_action == "defer"
    assert _audit_actions() == ["member.update", "member.update"]


def test_the_approved_password_is_write_only_and_for_owners(world, browser_for):
    owner = browser_for("owner@example.org")
    action = f"{_page(world)}/password"
    short = owner.submit(_page(world), {"password": "short", "submit": "Set password"}, action=action)
    assert "at least 8" in owner.get(short.location).data.decode()
    owner.submit(_page(world), {"password": "sesame-open-1", "submit": "Set password"}, action=action)
    page = owner.get(_page(world)).data.decode()
    assert '<strong id="password-state">set</strong>' in page and "sesame-open-1" not in page
    assert world["a"].moderator_password_hash.startswith(("scrypt:", "pbkdf2:"))
    mod = browser_for("mod@example.org")
    assert "password-state" not in mod.get(_page(world)).data.decode()
    assert mod.submit(_page(world), {"remove": "Remove password"}, action=action).status_code == 403
    owner.submit(_page(world), {"remove": "Remove password"}, action=action)
    db.session.refresh(world["a"])
    assert world["a"].moderator_password_hash == ""


def test_site_wide_bans_apply_to_every_list_and_are_for_admins(world, browser_for):
    admin = browser_for("admin@example.org")
    pattern = r"^.*@bad\.example$"
    seen = admin.submit("/senders/site", {"which": "banned", "pattern": pattern, "check": "Preview"})
    assert b"matches 0 member(s)" in seen.data
    admin.submit(
        "/senders/site", {"which": "banned", "pattern": pattern, "previewed": pattern, "save": "Save"}
    )
    ban = db.session.scalars(select(Ban)).one()
    assert (ban.list_id, ban.kind) == (None, PatternKind.REGEX)
    assert banned_by(world["a"].id, "x@bad.example") == pattern
    assert banned_by(world["b"].id, "x@bad.example") == pattern
    owner = browser_for("owner@example.org")
    assert b"Site-wide bans also apply here (1)" in owner.get(_page(world)).data
    assert owner.get("/senders/site").status_code == 403
    audit = db.session.execute(select(AuditEntry.action, AuditEntry.object_type, AuditEntry.list_id))
    assert audit.all() == [("ban.add", "site", None)]


def test_site_scope_has_no_allowed_senders(world):
    try:
        svc.add(svc.SenderList.ALLOWED, None, "a@example.com", CLI)
    except svc.SiteWideAllowNotSupported as exc:
        assert "only bans are site-wide" in str(exc)
    else:
        raise AssertionError("a site-wide allowed sender was stored")


def test_the_old_bans_url_leads_to_the_senders_tab(world, browser_for):
    response = browser_for("owner@example.org").get(f"/lists/{world['a'].id}/bans")
    assert response.status_code == 302 and response.location.endswith(_page(world))
