"""`mailflow aws setup|check`: the SES configuration set, SNS topic and webhook subscription."""

from __future__ import annotations

import click
from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app
from flask.cli import with_appcontext

from app.egress.ses import ses_client

TOPIC_NAME = "mailflow-ses-events"
DESTINATION_NAME = "mailflow-sns"
EVENT_TYPES = ("bounce", "complaint", "delivery", "reject")


@click.group()
def aws() -> None:
    """Set up and check Amazon SES and SNS for MailFlow."""


def _client(service: str = "sesv2"):
    """A boto3 client from the instance settings; boto3 loads on first use, not at every `mailflow` start."""
    return ses_client(current_app.config["MAILFLOW"], service)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def ensure_configuration_set(name: str) -> bool:
    """Create the SES configuration set unless it exists; True when created."""
    try:
        _client().create_configuration_set(ConfigurationSetName=name)
    except ClientError as exc:
        if _code(exc) in ("AlreadyExistsException", "ConfigurationSetAlreadyExistsException"):
            return False
        raise
    return True


def ensure_topic() -> str:
    """The SNS topic for SES events (CreateTopic is idempotent); signatures use SHA256 (version 2)."""
    sns = _client("sns")
    arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
    return arn


def ensure_event_destination(config_set: str, topic_arn: str) -> str:
    """Publish the set's bounce/complaint/delivery events to the topic; says created, updated or exists."""
    ses = _client("ses")  # the v1 API manages the same configuration sets
    destination = {
        "Name": DESTINATION_NAME,
        "Enabled": True,
        "MatchingEventTypes": list(EVENT_TYPES),
        "SNSDestination": {"TopicARN": topic_arn},
    }
    described = ses.describe_configuration_set(
        ConfigurationSetName=config_set, ConfigurationSetAttributeNames=["eventDestinations"]
    )
    current = [d for d in described.get("EventDestinations") or [] if d and d.get("Name") == DESTINATION_NAME]
    if not current:
        ses.create_configuration_set_event_destination(
            ConfigurationSetName=config_set, EventDestination=destination
        )
        return "created"
    if current[0].get("SNSDestination", {}).get("TopicARN") == topic_arn and current[0].get("Enabled"):
        return "exists"
    ses.update_configuration_set_event_destination(
        ConfigurationSetName=config_set, EventDestination=destination
    )
    return "updated"


PENDING = "PendingConfirmation"


def ensure_subscription(topic_arn: str, endpoint: str) -> str:
    """Subscribe the webhook unless it is; a subscription still pending confirmation is asked for again
    (SNS sends a new confirmation). Returns the subscription ARN, or says it awaits confirmation."""
    sns = _client("sns")
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
        for sub in page["Subscriptions"]:
            if sub["Endpoint"] == endpoint and sub["SubscriptionArn"] != PENDING:
                return sub["SubscriptionArn"]
    protocol = endpoint.split(":", 1)[0]
    return sns.subscribe(
        TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint, ReturnSubscriptionArn=True
    )["SubscriptionArn"]


@aws.command("setup")
@with_appcontext
def setup() -> None:
    """Create (idempotently) the configuration set, SNS topic, event destination and webhook subscription."""
    settings = current_app.config["MAILFLOW"]
    if not settings.SES_CONFIGURATION_SET:
        raise click.UsageError("set MAILFLOW_SES_CONFIGURATION_SET (for example mailflow) first")
    endpoint = settings.PUBLIC_URL + "/webhooks/ses"
    try:
        created = ensure_configuration_set(settings.SES_CONFIGURATION_SET)
        click.echo(
            f"configuration set {settings.SES_CONFIGURATION_SET}: {'created' if created else 'exists'}"
        )
        topic = ensure_topic()
        click.echo(f"SNS topic: {topic}")
        click.echo(
            f"event destination {DESTINATION_NAME}: "
            f"{ensure_event_destination(settings.SES_CONFIGURATION_SET, topic)}"
        )
        if topic not in settings.SES_SNS_TOPIC_ARNS.split(","):
            # Subscribing now would send SNS's confirmation to a webhook that refuses this topic.
            click.echo(
                f"not subscribing {endpoint} yet: set MAILFLOW_SES_SNS_TOPIC_ARNS={topic} where the panel "
                "runs (and restart it), then run `mailflow aws setup` again",
                err=True,
            )
            raise SystemExit(1)
        click.echo(f"subscription of {endpoint}: {ensure_subscription(topic, endpoint)}")
    except (ClientError, BotoCoreError) as exc:
        raise click.ClickException(f"AWS refused: {exc}") from None


SANDBOX_DAILY, SANDBOX_RATE = 200, 1  # what SES allows an account that has no production access


@aws.command("check")
@click.argument("identities", nargs=-1)
@with_appcontext
def check(identities: tuple[str, ...]) -> None:
    """Show the sending quota and whether IDENTITIES (domains or addresses) are verified; exit 1 if one is not."""
    ses = _client("ses")
    try:
        quota = ses.get_send_quota()
        found = (
            ses.get_identity_verification_attributes(Identities=list(identities))["VerificationAttributes"]
            if identities
            else {}
        )
    except (ClientError, BotoCoreError) as exc:
        raise click.ClickException(f"AWS refused: {exc}") from None
    click.echo(
        f"sending quota: {quota['SentLast24Hours']:g} of {quota['Max24HourSend']:g} in the last 24 h, "
        f"at most {quota['MaxSendRate']:g}/s"
    )
    _warn_about_limits(quota)
    unverified = []
    for identity in identities:
        status = found.get(identity, {}).get("VerificationStatus", "NotStarted")
        click.echo(f"identity {identity}: {status}")
        if status != "Success":
            unverified.append(identity)
    if unverified:
        click.echo(f"not verified: {', '.join(unverified)}; SES refuses mail from them", err=True)
        raise SystemExit(1)


def _warn_about_limits(quota: dict) -> None:
    """The sandbox (200 a day, 1 a second, verified recipients only), and a configured rate above the account's."""
    if quota["Max24HourSend"] <= SANDBOX_DAILY and quota["MaxSendRate"] <= SANDBOX_RATE:
        click.echo(
            "warning: this account is in the SES sandbox (200 messages a day, 1 a second, only to verified "
            "addresses): request production access in the SES console before a list goes live",
            err=True,
        )
    configured = current_app.config["MAILFLOW"].SES_MAX_SEND_RATE
    if configured > quota["MaxSendRate"]:
        click.echo(
            f"warning: MAILFLOW_SES_MAX_SEND_RATE={configured} is above the account's {quota['MaxSendRate']:g} "
            "a second; SES will throttle",
            err=True,
        )
