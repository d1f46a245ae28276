"""Who may read which archive: staff always, members through a signed link, everyone on a public one."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask import session
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.mail.tokens import TokenPurpose, public_url, sign, verify
from app.models import ArchivePolicy, ListRole, MailingList, Member, MemberStatus, Role

SESSION_KEY = "archive_members"  # {list id: member id}, set by a member's signed link


class Refusal(enum.StrEnum):
    """Why a reader may not read an archive."""

    NO_ARCHIVE = "no-archive"  # policy none: there is nothing to see (404)
    LOGIN = "login"  # private: owners, moderators and admins only
    MEMBERS = "members"  # members-only: a member asks for a link


@dataclass(frozen=True)
class Reader:
    """The person reading an archive and what they may do there."""

    staff: bool  # owner, moderator or site admin of this list
    owner: bool  # owner or site admin: may remove messages
    member_id: int | None

    @property
    def may_see_addresses(self) -> bool:
        return self.staff or self.member_id is not None


def _roles(mlist: MailingList) -> set[str]:
    if not current_user.is_authenticated:
        return set()
    if current_user.is_admin:
        return {Role.OWNER, Role.MODERATOR}
    return set(
        db.session.scalars(
            select(ListRole.role).where(ListRole.user_id == current_user.id, ListRole.list_id == mlist.id)
        )
    )


def _session_member(mlist: MailingList) -> int | None:
    member_id = (session.get(SESSION_KEY) or {}).get(str(mlist.id))
    if not isinstance(member_id, int):
        return None
    member = db.session.get(Member, member_id)
    ok = member is not None and member.list_id == mlist.id and member.status == MemberStatus.ACTIVE
    return member_id if ok else None


def reader_for(mlist: MailingList) -> Reader:
    """The current request's reader of mlist's archive."""
    roles = _roles(mlist)
    return Reader(staff=bool(roles), owner=Role.OWNER in roles, member_id=_session_member(mlist))


def refusal(mlist: MailingList, reader: Reader) -> Refusal | None:
    """None when reader may read mlist's archive, else why not."""
    policy = mlist.archive_policy or ArchivePolicy.PRIVATE
    if reader.staff:
        return None
    if policy == ArchivePolicy.NONE:
        return Refusal.NO_ARCHIVE
    if policy == ArchivePolicy.PUBLIC:
        return None
    if policy == ArchivePolicy.MEMBERS:
        return None if reader.member_id is not None else Refusal.MEMBERS
    return Refusal.LOGIN


def access_link(mlist: MailingList, member: Member) -> str:
    """The signed link that lets a member read a members-only archive (no account needed)."""
    return public_url(f"/archive/{mlist.address}/access/{sign(TokenPurpose.ARCHIVE, member.id)}")


def admit(mlist: MailingList, token: str) -> bool:
    """Let the bearer of a member's signed link read the archive in this browser session."""
    member_id = verify(TokenPurpose.ARCHIVE, token)
    member = db.session.get(Member, member_id) if isinstance(member_id, int) else None
    if member is None or member.list_id != mlist.id or member.status != MemberStatus.ACTIVE:
        return False
    admitted = dict(session.get(SESSION_KEY) or {})
    admitted[str(mlist.id)] = member.id
    session[SESSION_KEY] = admitted
    session.permanent = True
    return True


def find_member(mlist: MailingList, email: str) -> Member | None:
    """The list's active member with this address, if any."""
    return db.session.scalar(
        select(Member).where(
            Member.list_id == mlist.id, Member.email == email, Member.status == MemberStatus.ACTIVE
        )
    )
