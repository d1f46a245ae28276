"""The data model: one module per table group."""

from app.models.api_tokens import ApiToken
from app.models.archive import ArchivedMessage, ArchiveMonth, ArchivePolicy
from app.models.audit import AuditEntry
from app.models.bounces import Bounce, BounceKind
from app.models.deliveries import Delivery, DeliveryStatus
from app.models.digests import DigestEntry, DigestIssue
from app.models.imports import ImportStatus, MemberImport
from app.models.ingress import ImapCursor, IngressLock
from app.models.lists import (
    DigestFrequency,
    ListRole,
    MailingList,
    NonmemberAction,
    PostingPolicy,
    Role,
    SubscriptionPolicy,
)
from app.models.members import (
    DIGEST_MODES,
    DeliveryMode,
    Member,
    MemberStatus,
    ModerationAction,
    PendingAction,
)
from app.models.notices import NoticeCount
from app.models.posts import Post, PostSource, PostStatus
from app.models.relay_faults import RelayFault
from app.models.rules import AllowedSender, Ban, FilterAction, FilterCondition, FilterRule, PatternKind
from app.models.staff_notices import (
    ItemKind,
    MembershipEvent,
    MembershipEventKind,
    MembershipNotices,
    ModerationToken,
    NoticeMode,
    NoticePreference,
)
from app.models.sysmail import SystemMail, SystemMailKind, SystemMailStatus
from app.models.users import User
from app.models.webhooks import Webhook, WebhookDelivery, WebhookDeliveryStatus

__all__ = [
    "NoticePreference",
    "NoticeMode",
    "ModerationToken",
    "MembershipNotices",
    "MembershipEventKind",
    "MembershipEvent",
    "ItemKind",
    "AllowedSender",
    "ApiToken",
    "ArchivedMessage",
    "ArchiveMonth",
    "ArchivePolicy",
    "AuditEntry",
    "Ban",
    "Bounce",
    "BounceKind",
    "FilterAction",
    "FilterCondition",
    "FilterRule",
    "ImapCursor",
    "IngressLock",
    "ImportStatus",
    "MemberImport",
    "Delivery",
    "DeliveryMode",
    "DigestEntry",
    "DigestFrequency",
    "DigestIssue",
    "DeliveryStatus",
    "DIGEST_MODES",
    "ListRole",
    "MailingList",
    "Member",
    "MemberStatus",
    "ModerationAction",
    "NonmemberAction",
    "NoticeCount",
    "PatternKind",
    "PendingAction",
    "Post",
    "PostSource",
    "PostStatus",
    "PostingPolicy",
    "RelayFault",
    "Role",
    "SubscriptionPolicy",
    "SystemMail",
    "SystemMailKind",
    "SystemMailStatus",
    "User",
    "Webhook",
    "WebhookDelivery",
    "WebhookDeliveryStatus",
]
