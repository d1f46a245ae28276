"""The receiver through a real smtplib client: what it refuses, what it stores, when it says 250."""

from __future__ import annotations

import hashlib
import smtplib

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.jobs.queues import QueueName, close_redis
from app.models import Post
from tests.conftest import TEST_DB
from tests.ingress.conftest import post_count
from tests.support.factories import make_list, message
from tests.support.stack import receiver, send


def test_unknown_recipient_is_550_and_no_relay(queued_app, smtpd_port):
    make_list("team@example.org")
    with receiver(queued_app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port) as client:
        client.ehlo()
        client.mail("alice@example.org")
        assert client.rcpt("team@example.org")[0] == 250
        code, text = client.rcpt("victim@elsewhere.example")
        assert code == 550 and text.startswith(b"5.1.1")
        assert client.rcpt("team@other.example")[0] == 550


def test_size_is_advertised_and_oversize_is_552(queued_app, smtpd_port):
    make_list("team@example.org")
    big = message(body=("x" * 70 + "\n") * 450)
    with receiver(queued_app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port) as client:
        client.ehlo()
        assert client.esmtp_features["size"] == "20000"
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:  # smtplib sends SIZE=, refused at MAIL
            client.sendmail("alice@example.org", ["team@example.org"], big)
        assert refused.value.smtp_code == 552
    with receiver(queued_app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port) as client:
        client.ehlo()
        client.esmtp_features.pop("size")  # a client that ignores SIZE is refused after DATA
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("alice@example.org", ["team@example.org"], big)
        assert refused.value.smtp_code == 552
    assert post_count() == 0


def test_250_means_stored_and_enqueued(queued_app, smtpd_port, redis_url):
    make_list("team@example.org")
    raw = message()
    with receiver(queued_app, smtpd_port):
        send(smtpd_port, "alice@example.org", ["Team@Example.org"], raw)
    post = db.session.scalar(select(Post))
    # The stored message is our Received: field, then the client's bytes untouched; the hash is of the latter.
    assert post.raw.startswith(b"Received: from ") and post.raw.endswith(b"\r\n" + raw)
    assert post.sha256 == hashlib.sha256(raw).hexdigest()
    assert post.mail_from == "alice@example.org"
    assert post.rcpt_tos == ["Team@Example.org"]
    assert post.peer.startswith("127.0.0.1:")
    assert post.queued_at is not None
    with Redis.from_url(redis_url) as conn:
        assert [job.args for job in Queue(QueueName.POSTS.value, connection=conn).get_jobs()] == [(post.id,)]


def test_same_bytes_twice_make_one_post(queued_app, smtpd_port):
    make_list("team@example.org")
    raw = message()
    with receiver(queued_app, smtpd_port):
        send(smtpd_port, "alice@example.org", ["team@example.org"], raw)
        send(smtpd_port, "alice@example.org", ["team@example.org"], raw)
    assert post_count() == 1


def test_database_unreachable_is_451(settings, smtpd_port, tmp_path):
    settings["DATABASE_URL"] = f"sqlite:///{tmp_path}/missing-dir/none.db"
    app = create_app(settings)
    with receiver(app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port) as client:
        client.ehlo()
        client.mail("alice@example.org")
        code, text = client.rcpt("team@example.org")
    assert (code, text[:5]) == (451, b"4.3.0")


def test_post_stored_while_redis_down_is_enqueued_when_it_returns(settings, smtpd_port, private_redis):
    settings["REDIS_URL"] = private_redis.url
    app = create_app(settings)
    from app.jobs.reconcile import reconcile_all
    from tests.conftest import truncate_all

    with app.app_context():
        truncate_all()
        make_list("team@example.org")
        private_redis.stop()
        with receiver(app, smtpd_port):
            send(smtpd_port, "alice@example.org", ["team@example.org"], message())
        post = db.session.scalar(select(Post))
        assert post.queued_at is None
        reconcile_all()  # Redis still down: nothing changes, nothing raises
        db.session.expire_all()
        assert db.session.get(Post, post.id).queued_at is None
        private_redis.start()
        reconcile_all()
        db.session.expire_all()
        assert db.session.get(Post, post.id).queued_at is not None
        with Redis.from_url(private_redis.url) as conn:
            jobs = Queue(QueueName.POSTS.value, connection=conn).get_jobs()
        assert [job.args for job in jobs] == [(post.id,)]
        truncate_all()
        close_redis(app)
        db.engine.dispose()


@pytest.mark.skipif(
    TEST_DB != "postgresql", reason="cutting the database connection needs a network database"
)
def test_database_lost_before_data_is_451_and_the_retry_is_stored_once(settings, smtpd_port, migrated):
    from sqlalchemy.engine import make_url

    from tests.support.proxy import CuttableProxy

    url = make_url(migrated)
    proxy = CuttableProxy((url.host, url.port or 5432))
    proxy.start()
    settings["DATABASE_URL"] = url.set(port=proxy.port).render_as_string(hide_password=False)
    app = create_app(settings)
    raw = message()
    with app.app_context():
        make_list("team@example.org")
        with receiver(app, smtpd_port), smtplib.SMTP("127.0.0.1", smtpd_port) as client:
            client.ehlo()
            client.mail("alice@example.org")
            assert client.rcpt("team@example.org")[0] == 250
            proxy.cut()
            code, text = client.data(raw)
            assert (code, text[:5]) == (451, b"4.3.0")
            proxy.restore()
            client.rset()
            assert client.sendmail("alice@example.org", ["team@example.org"], raw) == {}
        db.session.remove()
        db.engine.dispose()
    proxy.cut()
    check = create_app({**settings, "DATABASE_URL": migrated})
    with check.app_context():
        posts = db.session.scalars(select(Post)).all()
        # Stored: our Received field, then the client's bytes; one post, since the hash is of the latter.
        assert len(posts) == 1 and posts[0].raw.endswith(b"\r\n" + raw)
        from tests.conftest import truncate_all

        truncate_all()
        db.engine.dispose()
