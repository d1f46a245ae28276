"""One line under each list setting that says what it does, as Postorius does."""

from __future__ import annotations

HINTS: dict[str, str] = {
    "display_name": "The list's name in the panel, on public pages and in notices.",
    "description": "A few words about the list, shown on its public subscribe page.",
    "subscription_policy": "open: joins at once · confirm: the person answers a mail first · moderate: an owner "
    "approves · confirm then moderate: both, in that order.",
    "posting_policy": "open: anyone · members: only members, others as set below · moderated: every post is "
    "held · announce: only owners and moderators post, nobody can reply to the list.",
    "nonmember_action": "What happens to a post from an address that is not a member: accept it, hold it for "
    "a moderator, reject it with a notice, or discard it silently.",
    "emergency": "While on, every post waits for a moderator, members' too. Use it to stop a flood.",
    "hold_days": "A held post nobody decides about is discarded after this many days.",
    "require_explicit_destination": "Catches mail sent to the list as a blind copy (Bcc), a common spam trick.",
    "administrivia": "Holds posts like “unsubscribe me” that were meant for the -request address.",
    "max_recipients": "Holds a post addressed to more people than this at once.",
    "suspicious_headers": "For example “X-Spam-Flag: yes”. Each line is one header name and a regular expression.",
    "subject_prefix": "Put before every subject, e.g. [team]; left out when the subject already has it.",
    "reply_to_mode": "Where a reply goes when a member presses Reply.",
    "reply_to_address": "Used only when Reply-To is set to “the address below”.",
    "dmarc_mode": "Some senders' domains forbid others to send in their name; rewriting From to the list "
    "lets their posts arrive.",
    "dmarc_author_field": "Where the author's own address goes when From is rewritten, so replies can reach them.",
    "filter_mime_types": "Attachments of these types are removed before the post goes out, e.g. application/zip.",
    "drop_html_alternative": "Members get the plain-text version only.",
    "max_message_size": "Bigger posts are held for a moderator.",
    "digest_frequency": "For members who chose a digest: one message with the posts since the last one. "
    "never: only when someone runs mailflow digests send.",
    "digest_hour": "Weekly digests go on Mondays, monthly ones on the 1st, at this hour.",
    "digest_size_threshold_kb": "A busy list sends its digest before the hour once this much is waiting.",
}


def setting_hint(column: str) -> str:
    """The one-line explanation of a list setting, '' for one without."""
    return HINTS.get(column, "")
