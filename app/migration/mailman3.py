"""A Mailman 3 list over its REST API → a ListPlan: fetched whole first, so a failure half-way writes nothing."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

from app.migration.mm3_rest import Mailman3Client
from app.migration.plan import HeldPlan, ListPlan, MemberPlan
from app.migration.senders import header_rule, nonmember_rule, normalised, sender_patterns

SOURCE = "Mailman 3"
REPLY_TO = {"no_munging": "leave", "point_to_list": "list", "explicit_header": "explicit"}
NONMEMBER_ACTION = {
    "accept": "accept",
    "defer": "accept",
    "hold": "hold",
    "reject": "reject",
    "discard": "discard",
}
MEMBER_ACTIONS = {"accept", "hold", "reject", "discard", "defer"}
DISABLED_REASON = {"by_moderator": "owner", "by_bounces": "bounces", "unknown": "unknown"}
# Settings read below, and those whose Mailman 3 default is what MailFlow always does.
HANDLED = frozenset(
    "display_name description info subscription_policy default_nonmember_action reply_goes_to_list "
    "reply_to_address subject_prefix max_message_size max_num_recipients require_explicit_destination "
    "administrivia emergency max_days_to_hold dmarc_mitigate_action dmarc_mitigate_unconditionally "
    "filter_content filter_types accept_these_nonmembers hold_these_nonmembers reject_these_nonmembers "
    "discard_these_nonmembers archive_policy digests_enabled default_member_action".split()
)


@dataclass
class Mailman3List:
    """Everything the REST API says about one list, fetched before anything is written."""

    list_id: str
    address: str
    config: dict
    members: list[dict] = field(default_factory=list)
    preferences: dict[str, dict] = field(default_factory=dict)
    owners: list[dict] = field(default_factory=list)
    moderators: list[dict] = field(default_factory=list)
    bans: list[dict] = field(default_factory=list)
    header_matches: list[dict] = field(default_factory=list)
    held: list[dict] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)


def list_ids(client: Mailman3Client, wanted: list[str]) -> list[tuple[str, str]]:
    """(list id, posting address) of the named lists (addresses or list ids), or of every list."""
    known = {e["list_id"]: e["fqdn_listname"] for e in client.pages("lists")}
    if not wanted:
        return sorted(known.items(), key=lambda item: item[1])
    by_address = {address.lower(): list_id for list_id, address in known.items()}
    chosen = []
    for name in wanted:
        list_id = by_address.get(name.lower()) or (name if name in known else None)
        if list_id is None:
            raise LookupError(f"Mailman 3 has no list {name}")
        chosen.append((list_id, known[list_id]))
    return chosen


def fetch_list(client: Mailman3Client, list_id: str, address: str) -> Mailman3List:
    """Settings, rosters with each member's preferences, bans, header matches, held posts and requests."""
    base = f"lists/{urllib.parse.quote(list_id)}"
    snapshot = Mailman3List(list_id, address, client.get(f"{base}/config"))
    snapshot.members = list(client.pages(f"{base}/roster/member"))
    for member in snapshot.members:  # the one per-member request: delivery status lives only here
        snapshot.preferences[member["member_id"]] = client.get(
            f"members/{member['member_id']}/all/preferences"
        )
    snapshot.owners = list(client.pages(f"{base}/roster/owner"))
    snapshot.moderators = list(client.pages(f"{base}/roster/moderator"))
    snapshot.bans = list(client.pages(f"{base}/bans"))
    snapshot.header_matches = client.get(f"{base}/header-matches").get("entries", [])
    snapshot.held = [client.get(f"{base}/held/{h['request_id']}") for h in client.pages(f"{base}/held")]
    snapshot.requests = list(client.pages(f"{base}/requests"))
    return snapshot


def map_list(snapshot: Mailman3List) -> ListPlan:
    """The plan for importing one fetched Mailman 3 list."""
    plan = ListPlan(address=snapshot.address.lower(), source=SOURCE)
    _settings(snapshot.config, plan)
    _members(snapshot, plan)
    _staff(snapshot, plan)
    _senders(snapshot, plan)
    _held(snapshot, plan)
    _not_carried(snapshot.config, plan)
    return plan


def _settings(config: dict, plan: ListPlan) -> None:
    """The list settings that have a counterpart here (same vocabulary as Mailman 3 where it can be)."""
    s = plan.settings
    s["display_name"] = config.get("display_name") or plan.address.partition("@")[0]
    s["description"] = "\n\n".join(p for p in (config.get("description"), config.get("info")) if p)
    s["subscription_policy"] = config.get("subscription_policy", "confirm")
    s["nonmember_action"] = NONMEMBER_ACTION.get(config.get("default_nonmember_action", "hold"), "hold")
    s["reply_to_mode"] = REPLY_TO.get(config.get("reply_goes_to_list", ""), "explicit")
    s["reply_to_address"] = (config.get("reply_to_address") or "").strip()
    if s["reply_to_mode"] == "explicit" and not normalised(s["reply_to_address"], plan, "reply_to_address"):
        s["reply_to_mode"], s["reply_to_address"] = "leave", ""
    s["subject_prefix"] = (config.get("subject_prefix") or "").strip()
    s["max_message_size"] = int(config.get("max_message_size") or 0) * 1024
    s["max_recipients"] = int(config.get("max_num_recipients") or 0)
    for key in ("require_explicit_destination", "administrivia", "emergency"):
        s[key] = bool(config.get(key))
    days = int(config.get("max_days_to_hold") or 0)
    s["hold_days"] = days or 14
    if not days:
        plan.note("held posts never expired in Mailman 3; here they are discarded after 14 days (hold_days)")
    action = config.get("dmarc_mitigate_action", "no_mitigation")
    s["dmarc_mode"] = "off" if action == "no_mitigation" else "auto"
    if action != "no_mitigation" and config.get("dmarc_mitigate_unconditionally"):
        s["dmarc_mode"] = "always"
    if action in ("reject", "discard"):
        plan.note(f"posts from strict-DMARC domains were {action}ed; here From is rewritten instead")
    if config.get("filter_content") and config.get("filter_types"):
        s["filter_mime_types"] = "\n".join(config["filter_types"])
    s["archive_policy"] = {"never": "none", "private": "private", "public": "public"}.get(
        config.get("archive_policy", "private"), "private"
    )


def _members(snapshot: Mailman3List, plan: ListPlan) -> None:
    """Members with their moderation action and delivery status; pending moderator requests as pending."""
    digests = 0
    for entry in snapshot.members:
        email = normalised(entry.get("email", ""), plan)
        if email is None:
            continue
        prefs = snapshot.preferences.get(entry["member_id"], {})
        digests += prefs.get("delivery_mode", entry.get("delivery_mode", "regular")) != "regular"
        status = prefs.get("delivery_status", "enabled")
        action = entry.get("moderation_action") or "defer"
        plan.members.append(
            MemberPlan(
                email=email,
                name=(entry.get("display_name") or "")[:255],
                moderation_action=action if action in MEMBER_ACTIONS else "defer",
                status="disabled" if status in DISABLED_REASON else "active",
                disabled_reason=DISABLED_REASON.get(status, ""),
                delivery_enabled=status != "by_user",
            )
        )
    if digests:
        plan.note(f"{digests} digest members were imported as regular members (no digests here yet)")
    _requests(snapshot, plan)


def _requests(snapshot: Mailman3List, plan: ListPlan) -> None:
    """Subscription requests waiting for a moderator join our queue; others are reported."""
    members = {m.email for m in plan.members}
    waiting_for_subscriber = 0
    for request in snapshot.requests:
        if request.get("type") != "subscription" or request.get("token_owner") != "moderator":
            waiting_for_subscriber += 1
            continue
        email = normalised(request.get("email", ""), plan, "subscription request")
        if email and email not in members:
            name = (request.get("display_name") or "")[:255]
            plan.members.append(MemberPlan(email=email, name=name, status="pending", pending="approval"))
    if waiting_for_subscriber:
        plan.note(
            f"{waiting_for_subscriber} requests waiting for the subscriber's own confirmation were not "
            "carried over (their confirmation links belong to Mailman)"
        )


def _staff(snapshot: Mailman3List, plan: ListPlan) -> None:
    """Owners and moderators."""
    for entries, target in ((snapshot.owners, plan.owners), (snapshot.moderators, plan.moderators)):
        for entry in entries:
            email = normalised(entry.get("email", ""), plan, "owner or moderator")
            if email and email not in target:
                target.append(email)


def _senders(snapshot: Mailman3List, plan: ListPlan) -> None:
    """Bans, nonmember lists and header matches."""
    config = snapshot.config
    plan.bans.extend(sender_patterns([b["email"] for b in snapshot.bans], "bans", plan, str))
    plan.allowed_senders.extend(
        sender_patterns(config.get("accept_these_nonmembers"), "accept_these", plan, str)
    )
    for action in ("hold", "reject", "discard"):
        for pattern in sender_patterns(
            config.get(f"{action}_these_nonmembers"), f"{action}_these", plan, str
        ):
            plan.rules.append(nonmember_rule(pattern, action, SOURCE))
    for match in snapshot.header_matches:
        action = match.get("action") or "hold"  # no action: the list's header-match default, hold
        if action not in ("accept", "hold", "reject", "discard"):
            plan.note(f"header match {match.get('header')}: action {action} has no counterpart; left out")
            continue
        rule = header_rule(
            match.get("header", ""), match.get("pattern", ""), action, plan, "Mailman 3 header matches"
        )
        if rule is not None:
            plan.rules.append(rule)


def _held(snapshot: Mailman3List, plan: ListPlan) -> None:
    """Held posts, whole, with Mailman's reasons."""
    for held in snapshot.held:
        text = held.get("msg") or ""
        if not text:
            plan.note(f"held post {held.get('request_id')} came without its message; left out")
            continue
        reasons = tuple(held.get("moderation_reasons") or [held.get("reason") or "held in Mailman 3"])
        plan.held.append(
            HeldPlan(
                raw=text.encode("utf-8", "surrogateescape"),
                sender=(held.get("sender") or "")[:320],
                subject=held.get("subject") or "",
                message_id=held.get("message_id") or "",
                reasons=tuple(f"Held in Mailman 3: {r}" for r in reasons),
            )
        )


def _not_carried(config: dict, plan: ListPlan) -> None:
    """Settings that mean something in Mailman 3 and have no counterpart here."""
    if config.get("digests_enabled"):
        plan.note("digest settings were not imported (no digests here yet)")
    if config.get("default_member_action", "defer") != "defer":
        plan.note(
            f"new members were moderated ({config['default_member_action']}) by default; not carried over"
        )
