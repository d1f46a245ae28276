"""Moderation: decisions on held posts, the actions a moderator takes, expiry of undecided posts."""
