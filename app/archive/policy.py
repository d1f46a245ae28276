"""Archive policy per list: whether the list has an archive at all."""

from __future__ import annotations

from app.models import ArchivePolicy, MailingList


def has_archive(mlist: MailingList) -> bool:
    """True unless the list's archive policy is `none`."""
    return (mlist.archive_policy or ArchivePolicy.PRIVATE) != ArchivePolicy.NONE
