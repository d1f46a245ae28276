"""The panel's page for a person's data: site admins only; erasing asks for the address again."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Member
from tests.support.factories import make_members

PAT = "pat@example.net"


def test_panel_page_is_for_admins_and_erases_only_when_the_address_is_typed_again(app, world, browser_for):
    make_members(world["a"], PAT)
    admin = browser_for("admin@example.org")
    page = admin.get(f"/people/?address={PAT}")
    assert page.status_code == 200 and b"alpha@example.org" in page.data
    assert admin.get(f"/people/export.json?address={PAT}").json["address"] == PAT
    admin.submit(
        f"/people/?address={PAT}", {"email": PAT, "address": "other@example.net"}, action="/people/erase"
    )
    assert db.session.scalar(select(func.count()).where(Member.email == PAT)) == 1
    admin.submit(f"/people/?address={PAT}", {"email": PAT, "address": PAT}, action="/people/erase")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Member.email == PAT)) == 0
    assert browser_for("owner@example.org").get(f"/people/?address={PAT}").status_code == 403
