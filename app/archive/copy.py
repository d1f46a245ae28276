"""The archive's copy of a post: what was sent to the list, decorated once, without any member's parts."""

from __future__ import annotations

from app.mail import templates
from app.mail.tokens import public_url
from app.models import MailingList, Post
from app.pipeline.personalise import encode_slot


def impersonal_values(mlist: MailingList) -> dict[str, str]:
    """Template values with every member-specific one blank or pointing at the list's public pages."""
    return {
        "list_name": mlist.name,
        "list_address": mlist.address,
        "list_description": mlist.description,
        "member_email": "",
        "member_name": "",
        "unsubscribe_url": public_url("/subscribe/" + mlist.address),
        "manage_url": public_url("/manage"),
    }


def archive_copy(post: Post) -> bytes:
    """The prepared post with its header and footer rendered once for no one in particular."""
    mlist = post.mailing_list
    data: bytes = post.prepared or post.raw
    if not post.prepared or not post.prepared_layout:
        return data
    values = impersonal_values(mlist)
    texts = {
        "header": templates.render(mlist.header_template, values),
        "footer": templates.render(mlist.footer_template, values),
    }
    pieces, pos = [], 0
    for slot in post.prepared_layout:
        pieces += [data[pos : slot["at"]], encode_slot(slot, texts[slot["role"]])]
        pos = slot["at"]
    pieces.append(data[pos:])
    return b"".join(pieces)
