"""Where an address is stored: one query per table, shared by export and erase."""

from __future__ import annotations

from sqlalchemy import Select, String, cast, or_, select

from app.models import AuditEntry, Bounce, Delivery, Member, NoticeCount, Post, SystemMail


def members_of(email: str) -> Select:
    return select(Member).where(Member.email == email).order_by(Member.id)


def member_ids(email: str) -> Select:
    return select(Member.id).where(Member.email == email)


def deliveries_of(email: str) -> Select:
    return select(Delivery).where(Delivery.member_id.in_(member_ids(email))).order_by(Delivery.id)


def bounces_of(email: str) -> Select:
    return (
        select(Bounce)
        .where(or_(Bounce.address == email, Bounce.member_id.in_(member_ids(email))))
        .order_by(Bounce.id)
    )


def notice_counts_of(email: str) -> Select:
    return select(NoticeCount).where(NoticeCount.address == email).order_by(NoticeCount.day)


def system_mail_to(email: str) -> Select:
    return select(SystemMail).where(SystemMail.rcpt == email).order_by(SystemMail.id)


def posts_by(email: str) -> Select:
    return select(Post).where(or_(Post.mail_from == email, Post.sender == email)).order_by(Post.id)


def audit_about(email: str) -> Select:
    """Audit entries that name the address in their details (JSON as text: the same on both databases)."""
    return (
        select(AuditEntry)
        .where(or_(cast(AuditEntry.details, String).contains(email), AuditEntry.actor == email))
        .order_by(AuditEntry.id)
    )
