"""The dashboard and the list page: counts, members, and who may see which list."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import Post, PostStatus
from tests.support.factories import make_list, make_members, make_user
from tests.support.web import login


def held_post(mlist, n: int) -> None:
    db.session.add(
        Post(
            list_id=mlist.id,
            raw=b"x",
            sha256=f"{n:064d}",
            status=PostStatus.HELD,
            sender="mallory@example.com",
            subject="<b>buy</b>",
        )
    )
    db.session.commit()


def test_dashboard_counts_members_and_held_posts(app, client):
    team = make_list("team@example.org", "Team")
    make_members(team, "a@example.net", "b@example.net", "c@example.net")
    held_post(team, 1)
    held_post(team, 2)
    make_user("admin@example.org", admin=True)
    login(client, "admin@example.org", "correct horse battery")
    html = client.get("/").get_data(as_text=True)
    row = re.search(r"<code>team@example.org</code></td>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r'<td data-label="\w+" class="num">(.*?)</td>', row, re.S)
    assert re.fullmatch(r'<a href="/lists/\d+/members\?status=active">3</a>', cells[0])  # active members
    assert re.fullmatch(r'<a href="/lists/\d+/posts">2</a>', cells[1])  # posts
    assert re.fullmatch(r'<a class="badge" href="/lists/\d+/moderation">2</a>', cells[2])  # held


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


def test_every_stat_card_links_to_what_it_counts(app, client):
    make_list("team@example.org", "Team")
    make_user("admin@example.org", admin=True)
    login(client, "admin@example.org", "correct horse battery")
    html = client.get("/").get_data(as_text=True)
    stats = re.search(r'<section class="stats">(.*?)</section>', html, re.S).group(1)
    cards = re.findall(r'<div class="stat">(.*?)</div>', stats, re.S)
    counted = [c for c in cards if "copies waiting" not in c and "copies retrying" not in c]  # no page yet
    assert len(counted) >= 5 and all(card.startswith("<a href=") for card in counted)
    for target in re.findall(r'<a href="#([\w-]+)"', stats):
        assert f'id="{target}"' in html


def test_a_moderator_sees_member_counts_without_a_roster_link(app, client):
    team = make_list("team@example.org", "Team")
    make_members(team, "a@example.net")
    make_user("mod@example.org", roles={team: "moderator"})
    login(client, "mod@example.org", "correct horse battery")
    html = client.get("/").get_data(as_text=True)
    assert "/members?status=active" not in html and f"/lists/{team.id}/posts" in html


def test_dashboard_shows_copies_waiting_and_retrying(app, client):
    from app.models import Delivery, DeliveryStatus, Member

    team = make_list("team@example.org", "Team")
    make_members(team, "a@example.net", "b@example.net", "c@example.net")
    post = Post(
        list_id=team.id, raw=b"x", sha256="1" * 64, status=PostStatus.DISTRIBUTING, sender="a@example.net"
    )
    db.session.add(post)
    db.session.commit()
    for n, member in enumerate(db.session.query(Member).order_by(Member.id)):
        db.session.add(
            Delivery(
                post_id=post.id,
                member_id=member.id,
                recipient=member.email,
                attempts=min(n, 1),
                status=DeliveryStatus.PENDING,
            )
        )
    db.session.commit()
    make_user("admin@example.org", admin=True)
    login(client, "admin@example.org", "correct horse battery")
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'"value">1</span><span class="label">copies waiting to go out', html)
    assert re.search(r'"value">2</span><span class="label">copies retrying', html)
