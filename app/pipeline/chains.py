"""The policy as data: ordered rule names for moderation, ordered handler names for preparation."""

MODERATION: tuple[str, ...] = (
    "approved",
    "emergency",
    "member-moderation",
    "nonmember-moderation",
)

PREPARE: tuple[str, ...] = (
    "cleanse-headers",
    "message-id",
    "list-headers",
)
