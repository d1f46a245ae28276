"""The dashboard and the list page: counts, members, and who may see which list."""

from __future__ import annotations

from app.extensions import db
from app.models import Post, PostStatus
from tests.support.factories import make_list, make_members, make_user
from tests.support.web import login


def held_post(mlist, n: int) -> None:
    db.session.add(Post(list_id=mlist.id, raw=b"x", sha256=f"{n:064d}", status=PostStatus.HELD,
                        sender="mallory@example.com", subject="<b>buy</b>"))
    db.session.commit()


def test_dashboard_counts_members_and_held_posts(app, client):
    team = make_list("team@example.org", "Team")
    make_members(team, "a@example.net", "b@example.net", "c@example.net")
    held_post(team, 1)
    held_post(team, 2)
    make_user("admin@example.org", admin=True)
    login(client, "admin@example.org", "correct horse battery")
    html = client.get("/").get_data(as_text=True)
    assert 'data-members="team@example.org">3<' in html
    assert 'data-held="team@example.org"><span class="badge">2</span>' in html
    assert "2 held posts waiting" in html


def test_list_page_shows_members_and_escapes_sender_text(app, client):
    team = make_list("team@example.org", "Team")
    make_members(team, "a@example.net", "b@example.net")
    held_post(team, 1)
    make_user("admin@example.org", admin=True)
    login(client, "admin@example.org", "correct horse battery")
    html = client.get(f"/lists/{team.id}").get_data(as_text=True)
    assert "a@example.net" in html and "b@example.net" in html
    assert "&lt;b&gt;buy&lt;/b&gt;" in html and "<b>buy</b>" not in html


def test_member_roster_pages_by_keyset(app, client):
    team = make_list("team@example.org", "Team")
    make_members(team, *[f"m{i:03d}@example.net" for i in range(120)])
    make_user("admin@example.org", admin=True)
    login(client, "admin@example.org", "correct horse battery")
    first = client.get(f"/lists/{team.id}").get_data(as_text=True)
    assert "m000@example.net" in first and "m050@example.net" not in first
    second = client.get(f"/lists/{team.id}?after=m049@example.net").get_data(as_text=True)
    assert "m050@example.net" in second and "m049@example.net" not in second


def test_moderator_of_one_list_cannot_see_another(app, client):
    team = make_list("team@example.org", "Team")
    other = make_list("other@example.org", "Other")
    make_user("mod@example.org", roles={team: "moderator"})
    login(client, "mod@example.org", "correct horse battery")
    html = client.get("/").get_data(as_text=True)
    assert "team@example.org" in html and "other@example.org" not in html
    assert client.get(f"/lists/{team.id}").status_code == 200
    assert client.get(f"/lists/{other.id}").status_code == 404


def test_panel_requires_login(client):
    assert client.get("/").status_code == 302
    assert client.get("/lists/1").status_code == 302
