"""Per-recipient header fields, spliced in front of the prepared message bytes."""

from __future__ import annotations

from app.models import Delivery, MailingList
from app.pipeline.rawmessage import CRLF, header_line
from app.tokens import TokenPurpose, public_url, sign


def unsubscribe_url(member_id: int) -> str:
    """The signed one-click unsubscribe link for a member."""
    return public_url("/unsubscribe/" + sign(TokenPurpose.UNSUBSCRIBE, member_id))


def personal_headers(mlist: MailingList, delivery: Delivery) -> bytes:
    """List-Unsubscribe (https and mailto) for this recipient, as header bytes."""
    value = f"<{unsubscribe_url(delivery.member_id)}>, <mailto:{mlist.role_address('leave')}>"
    return header_line("List-Unsubscribe", value) + CRLF
