"""/webhooks/ses: SNS signatures (v1 SHA1, v2 SHA256) with a test-made certificate; what events do."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import func, select

from app import create_app
from app.bounces.sns import string_to_sign
from app.extensions import db
from app.models import Bounce, Delivery, DeliveryStatus, Member, MemberStatus
from app.models.timestamps import utcnow
from tests.bounces.support import sent_post
from tests.support.db import truncate_all
from tests.support.factories import make_list, make_members
from tests.support.tls import make_key, pem, self_signed

TOPIC = "arn:aws:sns:us-east-1:123456789012:mailflow-ses-events"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"
KEY = make_key()
CERT = pem(self_signed(KEY, "sns.amazonaws.com"))


class Fetcher:
    """Serves the test certificate for the SNS URL and records every URL asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.asked.append(url)
        return CERT if url == CERT_URL else b"<ConfirmSubscriptionResponse/>"


@pytest.fixture
def fetcher():
    return Fetcher()


@pytest.fixture
def hook_app(settings, fetcher):
    settings.update(
        SES_SNS_TOPIC_ARNS=f"arn:aws:sns:us-east-1:123456789012:other,{TOPIC}",
        SNS_CERTIFICATE_FETCHER=fetcher,
    )
    app = create_app(settings)
    with app.app_context():
        truncate_all()
        yield app
        db.session.remove()
        truncate_all()
        db.engine.dispose()


def signed(kind: str = "Notification", message: str = "{}", version: str = "2", **fields: str) -> dict:
    body = {
        "Type": kind,
        "MessageId": fields.pop("MessageId", "m-1"),
        "TopicArn": TOPIC,
        "Message": message,
        "Timestamp": utcnow().isoformat().replace("+00:00", "Z"),
        "SignatureVersion": version,
        "SigningCertURL": CERT_URL,
        **fields,
    }
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    body["Signature"] = base64.b64encode(
        KEY.sign(string_to_sign(body), padding.PKCS1v15(), algorithm)
    ).decode()
    return body


def ses_event(kind: str, message_id: str, **detail) -> str:
    key = kind.lower()
    return json.dumps(
        {"notificationType": kind, "mail": {"messageId": message_id, "destination": []}, key: detail}
    )


def bounce_event(
    message_id: str, address: str, bounce_type: str = "Permanent", code: str = "smtp; 550 5.1.1 unknown"
):
    return ses_event(
        "Bounce",
        message_id,
        bounceType=bounce_type,
        bounceSubType="General",
        bouncedRecipients=[{"emailAddress": address, "status": "5.1.1", "diagnosticCode": code}],
    )


def post(client, body) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    reply = client.post("/webhooks/ses", data=data, headers={"Content-Type": "text/plain; charset=UTF-8"})
    return reply.status_code, reply.get_json(silent=True) or {}


@pytest.fixture
def sent(hook_app):
    mlist = make_list("team@example.org", "Team")
    make_members(mlist, "ann@example.net", "bob@example.net")
    members = db.session.scalars(select(Member).order_by(Member.email)).all()
    return sent_post(mlist, members, ["ses-ann", "ses-bob"])


@pytest.mark.parametrize("version", ["1", "2"])
def test_signed_bounce_marks_the_delivery_and_scores_the_member(hook_app, sent, version):
    code, reply = post(
        hook_app.test_client(), signed(message=bounce_event("ses-ann", "ann@example.net"), version=version)
    )
    assert (code, reply) == (200, {"recorded": 1})
    [bounce] = db.session.scalars(select(Bounce)).all()
    assert (bounce.address, bounce.delivery_id, bounce.kind, bounce.counted) == (
        "ann@example.net",
        sent[0].id,
        "hard",
        True,
    )
    db.session.expire_all()
    assert db.session.get(Delivery, sent[0].id).status == DeliveryStatus.BOUNCED
    assert db.session.get(Member, sent[0].member_id).bounce_score == 1.0


def test_repeat_notification_is_recorded_once_and_transient_is_soft(hook_app, sent):
    client = hook_app.test_client()
    body = signed(message=bounce_event("ses-bob", "bob@example.net", "Transient", "smtp; 452 mailbox full"))
    assert post(client, body) == (200, {"recorded": 1})
    assert post(client, body) == (200, {"recorded": 0})
    [bounce] = db.session.scalars(select(Bounce)).all()
    assert bounce.kind == "soft"
    assert db.session.get(Member, sent[1].member_id).bounce_score == 0.5
    assert db.session.get(Delivery, sent[1].id).status == DeliveryStatus.SENT  # SES may still deliver later


def test_complaint_unsubscribes_and_delivery_event_is_stored(hook_app, sent):
    client = hook_app.test_client()
    complaint = ses_event(
        "Complaint",
        "ses-ann",
        complaintFeedbackType="abuse",
        complainedRecipients=[{"emailAddress": "ann@example.net"}],
    )
    assert post(client, signed(message=complaint, MessageId="c-1"))[0] == 200
    delivered = json.dumps({"eventType": "Delivery", "mail": {"messageId": "ses-bob"}, "delivery": {}})
    assert post(client, signed(message=delivered, MessageId="d-1"))[0] == 200
    db.session.expire_all()
    ann = db.session.get(Member, sent[0].member_id)
    assert (ann.status, ann.disabled_reason) == (MemberStatus.UNSUBSCRIBED, "complaint")
    assert db.session.get(Delivery, sent[1].id).delivered_at is not None


def test_dmarc_rejection_is_recorded_but_never_counted(hook_app, sent):
    event = bounce_event(
        "ses-ann", "ann@example.net", code="smtp; 550 5.7.509 Access denied, DMARC policy reject"
    )
    assert post(hook_app.test_client(), signed(message=event))[0] == 200
    [bounce] = db.session.scalars(select(Bounce)).all()
    assert bounce.counted is False
    assert db.session.get(Member, sent[0].member_id).bounce_score == 0.0


def _nothing_changed(sent) -> None:
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Bounce)) == 0
    assert [db.session.get(Delivery, d.id).status for d in sent] == [DeliveryStatus.SENT] * 2


def test_forged_unsigned_and_malformed_requests_change_nothing(hook_app, sent, fetcher):
    client = hook_app.test_client()
    forged = signed(message=bounce_event("ses-ann", "ann@example.net"))
    forged["Message"] = bounce_event("ses-bob", "bob@example.net")  # altered after signing
    assert post(client, forged)[0] == 403
    unsigned = signed(message=bounce_event("ses-ann", "ann@example.net"))
    del unsigned["Signature"]
    assert post(client, unsigned)[0] == 400
    assert post(client, b"not json at all")[0] == 400
    assert post(client, b'["a list"]')[0] == 400
    assert post(client, signed(message="not an SES event"))[0] == 400
    _nothing_changed(sent)


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem",
        "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.us-east-1.amazonaws.com/cert.pem",
        "https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-test.pem",
    ],
)
def test_certificate_must_come_from_sns_over_https(hook_app, sent, fetcher, url):
    body = signed(message=bounce_event("ses-ann", "ann@example.net"), SigningCertURL=url)
    assert post(hook_app.test_client(), body)[0] == 403
    assert fetcher.asked == []
    _nothing_changed(sent)


def test_foreign_topic_old_message_and_unknown_version_are_refused(hook_app, sent):
    client = hook_app.test_client()
    event = bounce_event("ses-ann", "ann@example.net")
    assert post(client, signed(message=event, TopicArn="arn:aws:sns:us-east-1:999999999999:x"))[0] == 403
    old = signed(message=event, Timestamp=(utcnow() - timedelta(hours=2)).isoformat())
    assert post(client, old)[0] == 403
    assert post(client, signed(message=event, version="3"))[0] == 403
    _nothing_changed(sent)


def test_certificate_is_fetched_once(hook_app, sent, fetcher):
    client = hook_app.test_client()
    for n in range(3):
        post(client, signed(message=ses_event("Delivery", "ses-ann"), MessageId=f"d-{n}"))
    assert fetcher.asked == [CERT_URL]


def test_subscription_confirmation_visits_the_subscribe_url(hook_app, fetcher):
    url = f"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=abc"
    body = signed(
        "SubscriptionConfirmation", message="You have chosen to subscribe", SubscribeURL=url, Token="abc"
    )
    assert post(hook_app.test_client(), body) == (200, {"status": "confirmed"})
    assert fetcher.asked == [CERT_URL, url]
    evil = signed(
        "SubscriptionConfirmation",
        message="x",
        SubscribeURL="https://evil.example/",
        Token="abc",
        MessageId="m-2",
    )
    assert post(hook_app.test_client(), evil)[0] == 502
    assert fetcher.asked == [CERT_URL, url]


def test_the_trust_override_cannot_come_from_the_environment(settings, monkeypatch):
    monkeypatch.setenv("MAILFLOW_SNS_CERTIFICATE_FETCHER", "tests.bounces.test_sns_webhook:Fetcher")
    app = create_app({**settings, "SNS_CERTIFICATE_FETCHER": "not callable"})
    assert "SNS_CERTIFICATE_FETCHER" not in app.config
    with app.app_context():
        from app.bounces.sns import fetch_https
        from app.bounces.webhook import _certificates

        assert _certificates().fetch is fetch_https
        db.engine.dispose()


# issue 12, item 13: a region name, not any label (sns.s3.amazonaws.com is S3); the certificate names SNS
@pytest.mark.parametrize(
    "host",
    [
        "sns.s3.amazonaws.com",
        "sns.s3-website.amazonaws.com",
        "sns.execute-api.amazonaws.com",
        "sns.mybucket.amazonaws.com",
        "sns.us-east-1.amazonaws.com.cn",
        "sns.amazonaws.com",
    ],
)
def test_certificate_hosts_other_than_an_sns_region_are_refused(hook_app, sent, fetcher, host):
    url = f"https://{host}/SimpleNotificationService-test.pem"
    body = signed(message=bounce_event("ses-ann", "ann@example.net"), SigningCertURL=url)
    assert post(hook_app.test_client(), body)[0] == 403
    assert fetcher.asked == []
    _nothing_changed(sent)


@pytest.mark.parametrize(
    "host",
    ["sns.eu-west-2.amazonaws.com", "sns.us-gov-west-1.amazonaws.com", "sns.cn-north-1.amazonaws.com.cn"],
)
def test_regional_sns_hosts_are_accepted(hook_app, sent, fetcher, host):
    url = f"https://{host}/SimpleNotificationService-test.pem"
    fetcher_for_host = Fetcher()
    hook_app.config["SNS_CERTIFICATE_FETCHER"] = lambda asked: (
        CERT if asked == url else fetcher_for_host(asked)
    )
    body = signed(message=bounce_event("ses-ann", "ann@example.net"), SigningCertURL=url)
    assert post(hook_app.test_client(), body)[0] == 200


def test_a_certificate_that_does_not_name_sns_is_refused(hook_app, sent):
    impostor = pem(self_signed(KEY, "attacker.example"))  # the right key, the wrong subject
    hook_app.config["SNS_CERTIFICATE_FETCHER"] = lambda url: impostor
    body = signed(message=bounce_event("ses-ann", "ann@example.net"))
    assert body["SigningCertURL"] == CERT_URL
    assert post(hook_app.test_client(), body)[0] == 403
    _nothing_changed(sent)
