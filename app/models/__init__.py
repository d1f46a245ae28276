"""The data model: one module per table group."""

from app.models.deliveries import Delivery, DeliveryStatus
from app.models.lists import ListRole, MailingList, NonmemberAction, PostingPolicy, Role, SubscriptionPolicy
from app.models.members import Member, MemberStatus, ModerationAction
from app.models.posts import Post, PostSource, PostStatus
from app.models.users import User

__all__ = [
    "Delivery",
    "DeliveryStatus",
    "ListRole",
    "MailingList",
    "Member",
    "MemberStatus",
    "ModerationAction",
    "NonmemberAction",
    "Post",
    "PostSource",
    "PostStatus",
    "PostingPolicy",
    "Role",
    "SubscriptionPolicy",
    "User",
]
