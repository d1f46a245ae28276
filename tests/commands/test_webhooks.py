"""`mailflow webhooks add|list|test|remove` through the console script."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.extensions import db
from app.models import Webhook
from tests.support.console import Console
from tests.support.factories import make_list
from tests.webhooks.receiver import Receiver
from tests.webhooks.verify import verify


def test_add_prints_the_secret_last_and_list_test_remove_work(app, settings):
    make_list("team@example.org")
    console = Console({**settings, "WEBHOOKS_ALLOW_PRIVATE": "true"})
    receiver = Receiver().start()
    try:
        added = console(
            "webhooks",
            "add",
            receiver.url,
            "--events",
            "member.subscribed,post.held",
            "--list",
            "team@example.org",
        )
        assert added.returncode == 0, added.stderr
        secret = added.stdout.splitlines()[-1]
        hook = db.session.scalar(select(Webhook))
        assert secret.startswith("whsec_") and secret == hook.secret
        assert hook.events == ["member.subscribed", "post.held"]
        listing = console("webhooks", "list").stdout
        assert listing.splitlines() == [
            f"{hook.id} active team@example.org member.subscribed,post.held {receiver.url}"
        ]
        assert secret not in listing

        tried = console("webhooks", "test", str(hook.id))
        assert tried.returncode == 0 and "HTTP 200" in tried.stdout, tried.stderr
        assert verify(secret, receiver.requests[0])
        assert json.loads(receiver.requests[0].body)["type"] == "webhook.test"
        receiver.default = 500
        assert console("webhooks", "test", str(hook.id)).returncode == 1

        hook_id = hook.id
        assert console("webhooks", "remove", str(hook_id)).returncode == 0
        assert db.session.scalar(select(Webhook)) is None
        assert console("webhooks", "remove", str(hook_id)).returncode == 2
    finally:
        receiver.stop()


def test_loopback_and_private_targets_are_refused_naming_the_setting(console):
    for url in ("http://127.0.0.1:9/h", "http://[::1]/"):  # the other ranges: tests/webhooks/test_targets.py
        result = console("webhooks", "add", url, "--events", "post.held")
        assert result.returncode == 2 and "MAILFLOW_WEBHOOKS_ALLOW_PRIVATE=true" in result.stderr, (
            result.stderr
        )
    assert db.session.scalar(select(Webhook)) is None


def test_unknown_events_and_lists_are_refused(console):
    result = console("webhooks", "add", "https://93.184.215.14/h", "--events", "member.subscribed,post.eaten")
    assert result.returncode == 2 and "unknown event 'post.eaten'" in result.stderr
    result = console(
        "webhooks", "add", "https://93.184.215.14/h", "--events", "post.held", "--list", "no@x.org"
    )
    assert result.returncode == 2 and "no list no@x.org" in result.stderr
    assert db.session.scalar(select(Webhook)) is None
