"""Mailman 2.1 list configuration → a ListPlan (pure: reads the dict, touches no database)."""

from __future__ import annotations

from typing import Any

from app.mail.addresses import InvalidAddress, normalise_address
from app.migration.mm2_values import Decoder, template_problem, translate_template
from app.migration.plan import ListPlan, MemberPlan
from app.migration.senders import header_rule, nonmember_rule, normalised, sender_patterns

SUBSCRIBE_POLICY = {0: "open", 1: "confirm", 2: "moderate", 3: "confirm_then_moderate"}
NONMEMBER_ACTION = {0: "accept", 1: "hold", 2: "reject", 3: "discard"}
MEMBER_MODERATION = {0: "hold", 1: "reject", 2: "discard"}
REPLY_TO = {0: "leave", 1: "list", 2: "explicit"}
HEADER_RULE_ACTION = {2: "reject", 3: "discard", 6: "accept", 7: "hold"}
# delivery_status codes: 1 unknown, 2 by the member, 3 by the owner, 4 by bounces.
DISABLED_REASON = {1: "unknown", 3: "owner", 4: "bounces"}
MODERATED, NO_MIME_DIGEST = 128, 8
UNMAPPED_OPTIONS = {2: "not receiving their own posts", 4: "acknowledgements", 16: "concealed addresses"}
# Keys the mapping reads, and Mailman's own bookkeeping that means nothing outside it.
HANDLED = frozenset(
    "real_name description info subscribe_policy generic_nonmember_action default_member_moderation "
    "member_moderation_action reply_goes_to_list reply_to_address subject_prefix msg_header msg_footer "
    "max_message_size max_num_recipients require_explicit_destination administrivia emergency "
    "max_days_to_hold dmarc_moderation_action from_is_list filter_content filter_mime_types "
    "members digest_members usernames user_options delivery_status passwords owner moderator ban_list "
    "accept_these_nonmembers hold_these_nonmembers reject_these_nonmembers discard_these_nonmembers "
    "header_filter_rules host_name preferred_language language bounce_info mod_password archive "
    "archive_private digestable digest_is_default mime_is_default_digest digest_send_periodic "
    "digest_size_threshhold digest_header digest_footer".split()
)
BOOKKEEPING = frozenset(
    "data_version created_at last_post_time next_digest_number next_post_number next_request_id post_id "
    "volume digest_last_sent_at one_last_digest password available_languages web_page_url "
    "admin_member_chunksize hold_and_cmd_autoresponses postings_responses request_responses "
    "admin_responses topics_userinterest new_member_options archive_volume_frequency".split()
)

# Mailman 2.1 settings whose value here is what MailFlow always does: nothing is lost by leaving them.
SAME_HERE: dict[str, Any] = {
    "include_rfc2369_headers": 1,
    "include_list_post_header": 1,
    "admin_immed_notify": True,
    "bounce_processing": True,
    "bounce_notify_owner_on_disable": True,
    "advertised": True,
    "respond_to_post_requests": 1,
    "send_reminders": True,  # password reminders: there are no member passwords here
    "umbrella_member_suffix": "-owner",
    "topics_bodylines_limit": 5,
    "news_prefix_subject_too": 1,
    "forward_auto_discards": True,
    "nondigestable": True,
    "autoresponse_graceperiod": 90,
    "bounce_info_stale_after": 604800,
    "bounce_you_are_disabled_warnings_interval": 604800,
}


def map_config(config: dict[str, Any], address: str) -> ListPlan:
    """The plan for importing one Mailman 2.1 list as `address` (already normalised)."""
    plan = ListPlan(address=address, source="Mailman 2.1 config.pck")
    text = Decoder(config.get("preferred_language")).text
    _settings(config, plan, text)
    _templates(config, plan, text)
    _members(config, plan, text)
    _staff(config, plan, text)
    _sender_lists(config, plan, text)
    _header_rules(config, plan, text)
    _not_carried(config, plan, text)
    return plan


def _settings(config: dict, plan: ListPlan, text) -> None:
    """The list settings that have a counterpart here."""
    s = plan.settings
    s["display_name"] = text(config.get("real_name")) or address_local(plan.address)
    s["description"] = "\n\n".join(
        p for p in (text(config.get("description")), text(config.get("info"))) if p
    )
    s["subscription_policy"] = _lookup(SUBSCRIBE_POLICY, config, "subscribe_policy", 1, plan)
    s["nonmember_action"] = _lookup(NONMEMBER_ACTION, config, "generic_nonmember_action", 1, plan)
    s["reply_to_mode"] = _lookup(REPLY_TO, config, "reply_goes_to_list", 0, plan)
    s["reply_to_address"] = text(config.get("reply_to_address")).strip()
    if s["reply_to_mode"] == "explicit" and not _valid(s["reply_to_address"]):
        plan.note(
            f"reply_to_address {s['reply_to_address']!r} is not a valid address: replies go to the author"
        )
        s["reply_to_mode"], s["reply_to_address"] = "leave", ""
    s["subject_prefix"] = text(config.get("subject_prefix")).strip()
    s["max_message_size"] = int(config.get("max_message_size") or 0) * 1024
    s["max_recipients"] = int(config.get("max_num_recipients") or 0)
    s["require_explicit_destination"] = bool(config.get("require_explicit_destination", True))
    s["administrivia"] = bool(config.get("administrivia", True))
    s["emergency"] = bool(config.get("emergency", False))
    hold_days = int(config.get("max_days_to_hold") or 0)
    s["hold_days"] = hold_days or 14
    if not hold_days:
        plan.note("held posts never expired in Mailman 2; here they are discarded after 14 days (hold_days)")
    s["dmarc_mode"] = _dmarc_mode(config, plan)
    archived = config.get("archive")
    s["archive_policy"] = ("private" if config.get("archive_private") else "public") if archived else "none"
    if config.get("filter_content") and config.get("filter_mime_types"):
        s["filter_mime_types"] = "\n".join(Decoder("en").texts(config.get("filter_mime_types")))


def _dmarc_mode(config: dict, plan: ListPlan) -> str:
    """from_is_list (always rewrite) or dmarc_moderation_action (for strict domains) → our dmarc_mode."""
    if int(config.get("from_is_list") or 0):
        return "always"
    action = int(config.get("dmarc_moderation_action") or 0)
    if action in (3, 4):
        plan.note(
            "posts from strict-DMARC domains were rejected or discarded; here From is rewritten instead"
        )
    return "auto" if action else "off"


def _templates(config: dict, plan: ListPlan, text) -> None:
    """msg_header and msg_footer in our template language; what cannot be translated is reported."""
    host, info = text(config.get("host_name")), text(config.get("info"))
    for old, new in (("msg_header", "header_template"), ("msg_footer", "footer_template")):
        translated, lost = translate_template(text(config.get(old)), host, info)
        if lost:
            plan.note(f"{old}: left out {', '.join(lost)} (no counterpart here)")
        problem = template_problem(translated)
        if problem:
            plan.note(f"{old} was not imported: {problem}")
            continue
        plan.settings[new] = translated


def _members(config: dict, plan: ListPlan, text) -> None:
    """Regular and digest members with their names, moderation flag and delivery status."""
    regular, digest = config.get("members") or {}, config.get("digest_members") or {}
    names, options = config.get("usernames") or {}, config.get("user_options") or {}
    statuses = config.get("delivery_status") or {}
    moderated_action = MEMBER_MODERATION.get(int(config.get("member_moderation_action") or 0), "hold")
    unmapped: dict[int, int] = {}
    for key in list(regular) + [k for k in digest if k not in regular]:
        shown = (regular.get(key) or digest.get(key)) or key  # Mailman kept the original case here
        email = normalised(text(shown), plan) or normalised(text(key), plan)
        if email is None:
            continue
        flags = int(options.get(key) or 0)
        for bit in UNMAPPED_OPTIONS:
            unmapped[bit] = unmapped.get(bit, 0) + bool(flags & bit)
        plan.members.append(_member(email, text(names.get(key)), flags, statuses.get(key), moderated_action))
    if digest:
        plan.note(f"{len(digest)} digest members were imported as regular members (no digests here yet)")
    for bit, count in unmapped.items():
        if count:
            plan.note(f"{count} members had {UNMAPPED_OPTIONS[bit]}, which this instance does not offer")
    if config.get("bounce_info"):
        plan.note(f"bounce records of {len(config['bounce_info'])} members were not carried over")
    if config.get("passwords"):
        plan.note(
            f"{len(config['passwords'])} member passwords were dropped (members manage by mailed links)"
        )


def _member(email: str, name: str, flags: int, status: Any, moderated_action: str) -> MemberPlan:
    """One member's plan from Mailman's option bits and delivery status."""
    code = int(status[0]) if isinstance(status, tuple | list) and status else 0
    return MemberPlan(
        email=email,
        name=name.strip()[:255],
        moderation_action=moderated_action if flags & MODERATED else "defer",
        status="disabled" if code in DISABLED_REASON else "active",
        disabled_reason=DISABLED_REASON.get(code, ""),
        delivery_enabled=code != 2,
    )


def _staff(config: dict, plan: ListPlan, text) -> None:
    """Owners and moderators (they become panel users)."""
    for key, target in (("owner", plan.owners), ("moderator", plan.moderators)):
        for value in config.get(key) or []:
            email = normalised(text(value), plan)
            if email and email not in target:
                target.append(email)
    if config.get("mod_password"):
        plan.note("the moderator password was dropped (Mailman 2 kept only its hash): set it with lists set")


def _sender_lists(config: dict, plan: ListPlan, text) -> None:
    """Ban list and the *_these_nonmembers lists: exact addresses or ^patterns, validated."""
    plan.bans.extend(sender_patterns(config.get("ban_list"), "ban_list", plan, text))
    accepted = sender_patterns(config.get("accept_these_nonmembers"), "accept_these", plan, text)
    plan.allowed_senders.extend(accepted)
    for action in ("hold", "reject", "discard"):
        for pattern in sender_patterns(
            config.get(f"{action}_these_nonmembers"), f"{action}_these", plan, text
        ):
            plan.rules.append(nonmember_rule(pattern, action, "Mailman 2.1"))


def _header_rules(config: dict, plan: ListPlan, text) -> None:
    """header_filter_rules → header filter rules ('Header: regex' lines)."""
    for entry in config.get("header_filter_rules") or []:
        lines, action = text(entry[0]), HEADER_RULE_ACTION.get(int(entry[1]))
        if action is None:
            plan.note(f"header_filter_rules: action {entry[1]} for {lines!r} has no counterpart")
            continue
        for line in filter(str.strip, lines.splitlines()):
            header, sep, pattern = line.partition(":")
            if not sep:
                plan.note(f"header_filter_rules: {line!r} names no header; left out")
                continue
            rule = header_rule(header, pattern.strip(), action, plan, "Mailman 2.1 header_filter_rules")
            if rule is not None:
                plan.rules.append(rule)


def _not_carried(config: dict, plan: ListPlan, text) -> None:
    """Report every other setting whose value means something and differs from what we always do."""
    if config.get("digestable") or config.get("digest_members"):
        plan.note("digest settings were not imported (no digests here yet)")
    if config.get("default_member_moderation"):
        plan.note("new members were moderated by default; here each member's moderation is set one by one")
    left_out = []
    for key in sorted(set(config) - HANDLED - BOOKKEEPING):
        value = config[key]
        shown = text(value).strip() if isinstance(value, bytes) else value
        if not shown or SAME_HERE.get(key) == shown:
            continue
        left_out.append(f"{key}={_shown(shown, text)}")
    if left_out:
        plan.note(f"{len(left_out)} settings have no counterpart here: {'; '.join(left_out)}")


def _shown(value: Any, text) -> str:
    """A value on one short line: lists joined, white space folded."""
    if isinstance(value, list | tuple):
        value = ",".join(text(v) for v in value)
    shown = " ".join(text(value).split())
    return shown if len(shown) <= 40 else shown[:39] + "…"


def _lookup(table: dict[int, str], config: dict, key: str, default: int, plan: ListPlan) -> str:
    """A numbered Mailman choice as our word; an unknown number is reported and the default used."""
    number = int(config.get(key, default) or 0)
    if number not in table:
        plan.note(f"{key} = {number} is unknown; used {table[default]}")
        number = default
    return table[number]


def _valid(value: str) -> bool:
    try:
        normalise_address(value)
    except InvalidAddress:
        return False
    return True


def address_local(address: str) -> str:
    """The local part of a list address."""
    return address.rpartition("@")[0]
