"""`mailflow purge`: old settled copies are deleted and old settled posts lose their bytes; nothing else."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.archive.store import archive_post
from app.commands.purge import purge
from app.extensions import db
from app.jobs.reconcile import reconcile_all
from app.models import Bounce, Delivery, DeliveryStatus, Member, Post, PostStatus
from app.models.timestamps import utcnow
from tests.support.factories import make_list, make_members, message

OLD = utcnow() - timedelta(days=400)


def _post(list_id: int, n: int, status: PostStatus, received_at=OLD) -> Post:
    post = Post(
        list_id=list_id,
        raw=message(subject=f"p{n}"),
        sha256=f"r{n}",
        status=status,
        subject=f"p{n}",
        prepared=b"prepared",
        received_at=received_at,
    )
    db.session.add(post)
    db.session.commit()
    return post


def test_purge_removes_only_what_is_old_and_settled(app, runner):
    mlist = make_list("team@example.org", archive_policy="none")
    make_members(mlist, "ann@example.net", "bob@example.net")
    ann, bob = db.session.scalars(select(Member).order_by(Member.email))
    old_done = _post(mlist.id, 1, PostStatus.DISTRIBUTED)
    old_held = _post(mlist.id, 2, PostStatus.HELD)
    new_done = _post(mlist.id, 3, PostStatus.DISTRIBUTED, received_at=utcnow())
    for post, member, status, created in (
        (old_done, ann, DeliveryStatus.SENT, OLD),
        (old_done, bob, DeliveryStatus.PENDING, OLD),  # still to be sent: kept however old
        (new_done, ann, DeliveryStatus.SENT, utcnow()),
    ):
        db.session.add(
            Delivery(
                post_id=post.id,
                member_id=member.id,
                recipient=member.email,
                status=status,
                created_at=created,
            )
        )
    db.session.commit()
    dry = runner.invoke(purge, ["--deliveries-older-than", "90", "--raw-older-than", "365", "--dry-run"])
    assert dry.exit_code == 0 and "would purge 1 delivery rows and the bytes of 1 posts" in dry.output
    assert len(db.session.scalars(select(Delivery)).all()) == 3
    done = runner.invoke(purge, ["--deliveries-older-than", "90", "--raw-older-than", "365"])
    assert done.exit_code == 0 and "purged 1 delivery rows and the bytes of 1 posts" in done.output
    db.session.expire_all()
    assert sorted(d.status for d in db.session.scalars(select(Delivery))) == ["pending", "sent"]
    old = db.session.get(Post, old_done.id)
    assert (old.raw, old.prepared, old.subject, old.status) == (b"", None, "p1", "distributed")
    assert db.session.get(Post, old_held.id).raw != b""  # a held post keeps its bytes
    assert db.session.get(Post, new_done.id).raw != b""
    again = runner.invoke(purge, ["--deliveries-older-than", "90", "--raw-older-than", "365"])
    assert "purged 0 delivery rows and the bytes of 0 posts" in again.output
    assert runner.invoke(purge, []).exit_code == 2


def _bounce(list_id: int, created_at=OLD) -> Bounce:
    bounce = Bounce(list_id=list_id, address="ann@example.net", raw=b"dsn bytes", created_at=created_at)
    db.session.add(bounce)
    db.session.commit()
    return bounce


def test_bounce_bytes_go_and_an_archived_list_keeps_posts_until_archived(app, runner):
    mlist = make_list("team@example.org")  # archive_policy private: the archive wants distributed posts
    waiting, archived = _post(mlist.id, 1, PostStatus.DISTRIBUTED), _post(mlist.id, 2, PostStatus.DISTRIBUTED)
    archive_post(archived)
    db.session.commit()
    old_bounce, new_bounce = _bounce(mlist.id), _bounce(mlist.id, utcnow())
    done = runner.invoke(purge, ["--raw-older-than", "30", "--bounces-older-than", "30"])
    assert "the bytes of 1 posts and 1 bounces" in done.output, done.output
    db.session.expire_all()
    assert db.session.get(Post, waiting.id).raw != b"" and db.session.get(Post, archived.id).raw == b""
    assert db.session.get(Bounce, old_bounce.id).raw is None
    assert db.session.get(Bounce, new_bounce.id).raw == b"dsn bytes"


def test_a_lists_retention_setting_is_applied_by_the_reconciler_and_the_cli(app, runner):
    keeps, forgets = (
        make_list("keep@example.org", archive_policy="none"),
        make_list("forget@example.org", archive_policy="none", raw_retention_days=30),
    )
    kept, forgotten = _post(keeps.id, 1, PostStatus.DISTRIBUTED), _post(forgets.id, 2, PostStatus.REJECTED)
    kept_bounce, gone_bounce = _bounce(keeps.id), _bounce(forgets.id)
    reconcile_all()
    db.session.expire_all()
    assert db.session.get(Post, kept.id).raw != b"" and db.session.get(Post, forgotten.id).raw == b""
    assert db.session.get(Bounce, kept_bounce.id).raw and db.session.get(Bounce, gone_bounce.id).raw is None
    again = runner.invoke(purge, ["--by-list-settings"])
    assert again.exit_code == 0 and "purged the bytes of 0 posts and 0 bounces" in again.output
