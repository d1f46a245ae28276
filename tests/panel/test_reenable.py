"""Undo a wave of bounce-disables: `mailflow members enable LIST --reason bounces` and the roster button."""

from __future__ import annotations

from sqlalchemy import select, update

from app.commands.members import members
from app.extensions import db
from app.models import Member, MemberStatus


def _disable_for_bounces(list_id: int) -> None:
    db.session.execute(
        update(Member)
        .where(Member.list_id == list_id)
        .values(status=MemberStatus.DISABLED, disabled_reason="bounces", bounce_score=5.0)
    )
    db.session.commit()


def _states(list_id: int) -> set[tuple[str, str, float]]:
    db.session.expire_all()
    rows = db.session.scalars(select(Member).where(Member.list_id == list_id))
    return {(m.status, m.disabled_reason, m.bounce_score) for m in rows}


def test_cli_re_enables_members_disabled_for_bounces_only(world, runner):
    a, b = world["a"], world["b"]
    _disable_for_bounces(a.id)
    _disable_for_bounces(b.id)
    db.session.execute(
        update(Member).where(Member.email == "bob@example.net").values(disabled_reason="admin said so")
    )
    db.session.commit()
    result = runner.invoke(members, ["enable", a.address, "--reason", "bounces"])
    assert result.exit_code == 0, result.output
    assert "1 members disabled for bounces are active again" in result.output
    assert ("active", "", 0.0) in _states(a.id)
    assert ("disabled", "admin said so", 5.0) in _states(a.id)  # an admin's own reason is left alone
    assert _states(b.id) == {("disabled", "bounces", 5.0)}  # another list is untouched
    refused = runner.invoke(members, ["enable", a.address, "--reason", "admin said so"])
    assert refused.exit_code == 2 and "only for: bounces" in refused.output


def test_roster_offers_and_performs_the_bulk_re_enable(world, browser_for):
    a = world["a"]
    browser = browser_for("owner@example.org")
    assert "disabled for bounces" not in browser.get(f"/lists/{a.id}/members").data.decode()
    _disable_for_bounces(a.id)
    page = browser.get(f"/lists/{a.id}/members").data.decode()
    assert "Re-enable 2 disabled for bounces" in page
    response = browser.submit(f"/lists/{a.id}/members", action=f"/lists/{a.id}/members/enable-bounced")
    assert response.status_code == 302
    assert _states(a.id) == {("active", "", 0.0)}
    other = browser_for("ownerb@example.org")
    assert other.submit(
        f"/lists/{world['b'].id}/members", action=f"/lists/{a.id}/members/enable-bounced"
    ).status_code in (403, 404)


def test_admins_see_an_open_relay_fault_on_every_page(world, browser_for):
    from app.models import RelayFault

    db.session.add(
        RelayFault(
            signature="554 5.7.1 relay access denied", sample="554 5.7.1 Relay access denied", copies=9
        )
    )
    db.session.commit()
    assert "Relay fault:" in browser_for("admin@example.org").get("/").data.decode()
    assert "Relay fault:" not in browser_for("owner@example.org").get("/").data.decode()
