"""Archive policy per list: whether the list has an archive at all."""

from __future__ import annotations

from app.models import ArchivePolicy, MailingList

POLICIES = tuple(policy.value for policy in ArchivePolicy)


def has_archive(mlist: MailingList) -> bool:
    """True unless the list's archive policy is `none`."""
    return (mlist.archive_policy or ArchivePolicy.PRIVATE) != ArchivePolicy.NONE


def check_policy(value: str) -> str:
    """The policy named by value, or ValueError naming the choices."""
    text = (value or "").strip().lower()
    if text not in POLICIES:
        raise ValueError(f"archive_policy must be one of {', '.join(POLICIES)}, not {value!r}")
    return text
