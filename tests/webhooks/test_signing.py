"""Standard Webhooks signatures against the specification's own example."""

import pytest

from app.webhooks.signing import InvalidSecret, new_secret, secret_bytes, sign

# The example in the Standard Webhooks specification and its reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specification_example_signs_as_published():
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_any_change_to_id_timestamp_or_body_changes_the_signature():
    for args in (
        (SPEC_SECRET, SPEC_ID + "x", SPEC_TIMESTAMP, SPEC_BODY),
        (SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP + 1, SPEC_BODY),
        (SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY + b" "),
    ):
        assert sign(*args) != SPEC_SIGNATURE


def test_new_secrets_are_whsec_and_32_random_bytes():
    one, two = new_secret(), new_secret()
    assert one.startswith("whsec_") and one != two
    assert len(secret_bytes(one)) == 32


def test_a_secret_that_is_not_base64_is_refused():
    with pytest.raises(InvalidSecret):
        secret_bytes("whsec_not base64!")
