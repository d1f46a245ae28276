"""A staff member's notice settings per list: each post, a summary every N minutes, or a daily summary;
and, for owners, membership news. One validation for the panel and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from app.lists.staff import is_active_staff
from app.models import (
    MailingList,
    MembershipEvent,
    MembershipNotices,
    NoticeMode,
    NoticePreference,
    Role,
    User,
)
from app.models.audit import Actor, record_by
from app.sysmail.membership_news import WANTED_CACHE

MIN_MINUTES, MAX_MINUTES = 5, 24 * 60


class InvalidNoticeSetting(ValueError):
    """A setting that cannot be saved; the message says what to change."""


@dataclass(frozen=True)
class NoticeSettings:
    mode: NoticeMode = NoticeMode.EACH
    interval_minutes: int = 60
    membership: MembershipNotices = MembershipNotices.OFF


def notice_settings(user: User, mlist: MailingList) -> NoticeSettings:
    """The person's settings for the list (the defaults when never set)."""
    pref = _row(user, mlist)
    if pref is None:
        return NoticeSettings()
    return NoticeSettings(NoticeMode(pref.mode), pref.interval_minutes, MembershipNotices(pref.membership))


def _row(user: User, mlist: MailingList) -> NoticePreference | None:
    return db.session.scalar(
        select(NoticePreference).where(
            NoticePreference.user_id == user.id, NoticePreference.list_id == mlist.id
        )
    )


def parse_settings(mode: str, minutes: str | int, membership: str) -> NoticeSettings:
    """Validate the three values as typed; raises InvalidNoticeSetting naming the bad one."""
    try:
        parsed_mode = NoticeMode(mode)
    except ValueError:
        raise InvalidNoticeSetting(f"mode must be one of {', '.join(NoticeMode)}, not {mode!r}") from None
    try:
        parsed_news = MembershipNotices(membership)
    except ValueError:
        names = ", ".join(MembershipNotices)
        raise InvalidNoticeSetting(f"membership must be one of {names}, not {membership!r}") from None
    try:
        number = int(minutes)
    except (TypeError, ValueError):
        raise InvalidNoticeSetting(f"minutes must be a whole number, not {minutes!r}") from None
    if not MIN_MINUTES <= number <= MAX_MINUTES:
        raise InvalidNoticeSetting(f"minutes must be between {MIN_MINUTES} and {MAX_MINUTES}")
    return NoticeSettings(parsed_mode, number, parsed_news)


def set_notice_settings(user: User, mlist: MailingList, settings: NoticeSettings, actor: Actor) -> None:
    """Store the person's settings for the list. Commits. Only staff of the list have them; membership
    news only for owners."""
    if not is_active_staff(mlist.id, user.email):
        raise InvalidNoticeSetting(f"{user.email} is neither owner nor moderator of {mlist.address}")
    owner = is_active_staff(mlist.id, user.email, (Role.OWNER,))
    if settings.membership != MembershipNotices.OFF and not owner:
        raise InvalidNoticeSetting("membership news are for the list's owners")
    pref = _row(user, mlist) or NoticePreference(user_id=user.id, list_id=mlist.id)
    if pref.mode != settings.mode or pref.interval_minutes != settings.interval_minutes:
        pref.next_summary_at = None  # the new rhythm starts now (app/sysmail/summaries.py)
    if pref.membership in (None, MembershipNotices.OFF) and settings.membership != MembershipNotices.OFF:
        pref.membership_seen_id = db.session.scalar(select(func.max(MembershipEvent.id))) or 0
    pref.mode, pref.interval_minutes = settings.mode, settings.interval_minutes
    pref.membership = settings.membership
    db.session.add(pref)
    db.session.info.pop(WANTED_CACHE, None)  # this session's answer to "does anyone want news?" may change
    record_by(
        actor,
        "user.notices",
        "user",
        user.id,
        mlist.id,
        mode=str(settings.mode),
        minutes=settings.interval_minutes,
        membership=str(settings.membership),
    )
    db.session.commit()
