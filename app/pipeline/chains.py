"""The policy as data: ordered rule names for moderation, ordered handler names for preparation."""

MODERATION: tuple[str, ...] = (
    "approved",
    "emergency",
    "loop",
    "banned-address",
    "own-domain-spoof",
    "member-moderation",
    "filter-rules",
    "nonmember-moderation",
    "administrivia",
    "implicit-destination",
    "max-recipients",
    "max-size",
    "no-subject",
    "suspicious-header",
)

PREPARE: tuple[str, ...] = (
    "cleanse-headers",
    "message-id",
    "content-filter",
    "subject-prefix",
    "reply-to",
    "dmarc",
    "list-headers",
    "archive-headers",
    "ses-from",
    "validate-headers",
)
