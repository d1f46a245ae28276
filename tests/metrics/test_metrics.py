"""/metrics in one process: who may read it (loopback, a token, never a proxied request) and what it says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from app.extensions import db
from app.ingress import Envelope, accept
from app.jobs.queues import close_redis
from app.models import Delivery, DeliveryStatus, Member
from app.models.timestamps import utcnow
from tests.support.factories import make_list, make_members, message
from tests.support.stack import drain, receiver, send

TOKEN = "metrics-token-for-the-tests-0123456789"
OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample as {(name, sorted labels): value}."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def metrics_app(settings):
    settings["METRICS_TOKEN"] = TOKEN
    app = create_app(settings)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
        close_redis(app)


def test_a_loopback_client_reads_the_metrics(app, client):
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.content_type.startswith("text/plain")
    names = {name for name, _ in samples(answer.get_data(as_text=True))}
    assert {"mailflow_oldest_pending_delivery_age_seconds", "mailflow_workers"} <= names
    assert all(name.startswith("mailflow_") for name in names)


def test_another_host_needs_the_token_compared_whole(metrics_app):
    client = metrics_app.test_client()
    assert client.get("/metrics", environ_overrides=OUTSIDE).status_code == 403
    for wrong in ("Bearer nope", f"Bearer {TOKEN}x", f"Basic {TOKEN}", f"Bearer {TOKEN[:-1]}"):
        assert (
            client.get("/metrics", environ_overrides=OUTSIDE, headers={"Authorization": wrong}).status_code
            == 403
        )
    right = client.get("/metrics", environ_overrides=OUTSIDE, headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200


def test_without_a_token_set_no_bearer_opens_it(app, client):
    answer = client.get("/metrics", environ_overrides=OUTSIDE, headers={"Authorization": "Bearer "})
    assert answer.status_code == 403


@pytest.mark.parametrize("hops", [0, 1])
@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-For": "203.0.113.9"},
        {"X-Forwarded-For": "127.0.0.1, 203.0.113.9"},  # a client's forged first hop, nginx's real last
        {"X-Forwarded-For": "127.0.0.1"},  # forged, and a proxy that passes it on as it came
        {"X-Real-IP": "127.0.0.1"},
        {"Forwarded": "for=127.0.0.1"},
    ],
)
def test_a_request_a_proxy_on_this_host_forwarded_is_not_loopback(settings, hops, headers):
    settings["PROXY_HOPS"] = hops
    app = create_app(settings)
    with app.app_context():
        answer = app.test_client().get("/metrics", headers=headers)  # REMOTE_ADDR 127.0.0.1: nginx
        db.engine.dispose()
    assert answer.status_code == 403


def test_counts_follow_a_post_from_the_receiver_through_a_worker(smtp_app, smtpd_port):
    client = smtp_app.test_client()
    before = samples(client.get("/metrics").get_data(as_text=True))
    mlist = make_list("team@example.org")
    make_members(mlist, "alice@example.org", "ann@example.net")
    with receiver(smtp_app, smtpd_port):
        send(smtpd_port, "alice@example.org", ["team@example.org"], message())
    drain(smtp_app)
    after = samples(client.get("/metrics").get_data(as_text=True))

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("mailflow_posts_received_total", source="smtp", outcome="accepted") == 1
    assert grew("mailflow_copies_sent_total", egress="smtp") == 2
    assert grew("mailflow_ingress_latency_seconds_count", source="smtp") == 1
    assert grew("mailflow_end_to_end_latency_seconds_count", source="smtp") == 1
    assert grew("mailflow_smtp_sessions_total") >= 1  # the Controller's start-up probe is a session too
    # The gauge is this process's: a receiver an earlier test cut off may have left its session counted.
    assert grew("mailflow_smtp_sessions_open") == 0
    assert after[("mailflow_copies_waiting", (("state", "pending"),))] == 0
    assert after[("mailflow_redis_up", ())] == 1


def test_the_oldest_pending_copy_and_waiting_copies_are_read_from_the_database(app, client):
    mlist = make_list("team@example.org")
    make_members(mlist, "alice@example.org")
    [post_id] = accept(message(), Envelope("alice@example.org", ("team@example.org",)))
    member = db.session.query(Member).one()
    db.session.add(
        Delivery(
            post_id=post_id,
            member_id=member.id,
            recipient=member.email,
            status=DeliveryStatus.PENDING,
            created_at=utcnow() - timedelta(hours=2),
        )
    )
    db.session.commit()
    found = samples(client.get("/metrics").get_data(as_text=True))
    assert found[("mailflow_copies_waiting", (("state", "pending"),))] == 1
    assert found[("mailflow_oldest_pending_delivery_age_seconds", ())] >= 7200
