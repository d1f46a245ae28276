"""`mailflow purge`: old settled copies are deleted and old settled posts lose their bytes; nothing else."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.commands.purge import purge
from app.extensions import db
from app.models import Delivery, DeliveryStatus, Member, Post, PostStatus
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
    mlist = make_list("team@example.org")
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
