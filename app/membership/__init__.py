"""Membership: adding and importing members, subscriptions by policy, creating lists."""
