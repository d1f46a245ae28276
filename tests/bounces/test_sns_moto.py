"""moto's SNS posts signed notifications to the live webhook on loopback; `mailflow aws` against moto."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app import create_app
from app.commands.aws import aws
from app.extensions import db
from app.models import Bounce, Delivery, DeliveryStatus, Member
from tests.bounces.support import sent_post
from tests.support.aws import REGION, serve_app
from tests.support.db import truncate_all
from tests.support.factories import make_list, make_members


@pytest.fixture
def aws_settings(settings, moto):
    settings.update(
        EGRESS="ses", SES_ENDPOINT_URL=moto.url, SES_REGION=REGION, SES_CONFIGURATION_SET="mailflow"
    )
    return settings


def test_moto_sns_notification_reaches_the_webhook_and_records_the_bounce(aws_settings, moto):
    sns = moto.client("sns")
    topic = sns.create_topic(Name="mailflow-ses-events")["TopicArn"]
    aws_settings.update(SES_SNS_TOPIC_ARNS=topic, SNS_CERTIFICATE_FETCHER=moto.fetch_sns_certificate)
    app = create_app(aws_settings)
    with app.app_context():
        truncate_all()
        moto.client("ses").verify_domain_identity(Domain="example.org")
        reply = moto.client("sesv2").send_email(
            Destination={"ToAddresses": ["ann@example.net"]},
            Content={
                "Raw": {"Data": b"From: team@example.org\r\nTo: ann@example.net\r\nSubject: x\r\n\r\nx\r\n"}
            },
        )
        mlist = make_list("team@example.org", "Team")
        make_members(mlist, "ann@example.net")
        [delivery] = sent_post(mlist, db.session.scalars(select(Member)).all(), [reply["MessageId"]])
        event = {
            "eventType": "Bounce",
            "mail": {"messageId": reply["MessageId"]},
            "bounce": {
                "bounceType": "Permanent",
                "bouncedRecipients": [
                    {
                        "emailAddress": "ann@example.net",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1",
                    }
                ],
            },
        }
        with serve_app(app) as url:
            sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"{url}/webhooks/ses")
            sns.publish(TopicArn=topic, Message=json.dumps(event))  # moto POSTs, signed, before returning
            forged = create_app({**aws_settings, "SES_SNS_TOPIC_ARNS": "arn:aws:sns:us-east-1:1:elsewhere"})
        db.session.expire_all()
        [bounce] = db.session.scalars(select(Bounce)).all()
        assert (bounce.delivery_id, bounce.address, bounce.kind) == (delivery.id, "ann@example.net", "hard")
        assert db.session.get(Delivery, delivery.id).status == DeliveryStatus.BOUNCED
        with forged.app_context():
            db.engine.dispose()
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def test_aws_setup_is_idempotent_and_check_reports(aws_settings, moto):
    app = create_app({**aws_settings, "PUBLIC_URL": "https://lists.example.org"})
    runner = app.test_cli_runner()
    first = runner.invoke(aws, ["setup"])
    assert first.exit_code == 1, first.output  # the topic is not configured yet: nothing subscribed
    assert "configuration set mailflow: created" in first.output
    assert "event destination mailflow-sns: created" in first.output
    sns = moto.client("sns")
    [topic] = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert f"set MAILFLOW_SES_SNS_TOPIC_ARNS={topic}" in first.output
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    with app.app_context():
        db.engine.dispose()
    app = create_app({**aws_settings, "PUBLIC_URL": "https://lists.example.org", "SES_SNS_TOPIC_ARNS": topic})
    runner = app.test_cli_runner()
    second = runner.invoke(aws, ["setup"])
    assert second.exit_code == 0, second.output
    assert "configuration set mailflow: exists" in second.output
    assert "event destination mailflow-sns: exists" in second.output
    subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [
        ("https", "https://lists.example.org/webhooks/ses")
    ]
    assert runner.invoke(aws, ["setup"]).exit_code == 0
    assert len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 1
    moto.client("ses").verify_domain_identity(Domain="example.org")
    check = runner.invoke(aws, ["check", "example.org", "other.example"])
    assert check.exit_code == 1, check.output  # other.example is not verified
    assert "sending quota:" in check.output
    assert "identity example.org: Success" in check.output
    assert "identity other.example: NotStarted" in check.output
    assert "SES sandbox" in check.output  # moto's account has the sandbox quota: 200 a day, 1 a second
    assert runner.invoke(aws, ["check", "example.org"]).exit_code == 0
    with app.app_context():
        db.engine.dispose()
    fast = create_app({**aws_settings, "SES_MAX_SEND_RATE": "14"})
    assert "MAILFLOW_SES_MAX_SEND_RATE=14 is above" in fast.test_cli_runner().invoke(aws, ["check"]).output
    with fast.app_context():
        db.engine.dispose()


def test_aws_setup_needs_a_configuration_set(settings):
    app = create_app(settings)
    result = app.test_cli_runner().invoke(aws, ["setup"])
    assert result.exit_code != 0 and "MAILFLOW_SES_CONFIGURATION_SET" in result.output
    with app.app_context():
        db.engine.dispose()
