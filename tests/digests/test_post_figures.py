"""A post's figures count digest readers and members without mail apart from the copies sent."""

from __future__ import annotations

import json

from tests.commands.conftest import console  # noqa: F401 (fixtures)
from tests.digests.conftest import digest_list, distribute
from tests.panel.conftest import browser_for, quick_user  # noqa: F401


def test_posts_show_and_the_post_page_count_digest_and_nomail_members_apart(app, console, browser_for):  # noqa: F811
    mlist = digest_list()
    post = distribute(mlist, "Figures")
    shown = json.loads(console("posts", "show", str(post.id)).stdout)
    assert shown["not_sent"] == {"digest": 2, "nomail": 2}  # away@ (vacation) counts as no mail
    assert shown["deliveries"]["pending"] + shown["deliveries"]["sent"] == 1  # reg@ alone gets a copy
    quick_user("owner@example.org", roles={mlist: "owner"})
    page = browser_for("owner@example.org").client.get(f"/posts/{post.id}").data.decode()
    assert "digest 2" in page and "no mail 2" in page
