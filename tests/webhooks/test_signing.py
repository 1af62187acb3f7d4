"""Standard Webhooks signatures: what we sign verifies with the reference library."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from webhooks.errors import SignatureVerificationError, WebhookSecretError
from webhooks.signing import new_secret, sign, verify

SECRET = new_secret(b"0123456789abcdef0123456789abcdef")
BODY = json.dumps({"type": "call.offered", "data": {"call_id": "CA123", "from": "+15550123"}})


def test_signed_payload_verifies_with_the_reference_library() -> None:
    headers = sign(SECRET, "msg_1", datetime.now(UTC), BODY)

    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(SECRET).verify(BODY, headers) == json.loads(BODY)
    verify(SECRET, headers, BODY.encode())


def test_tampered_payload_fails() -> None:
    headers = sign(SECRET, "msg_1", datetime.now(UTC), BODY)
    tampered = BODY.replace("+15550123", "+15550999")

    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(tampered, headers)
    with pytest.raises(SignatureVerificationError):
        verify(SECRET, headers, tampered)
    with pytest.raises(SignatureVerificationError):
        verify(SECRET, {**headers, "webhook-id": "msg_2"}, BODY)
    with pytest.raises(SignatureVerificationError):
        verify(new_secret(b"another key, another receiver!!"), headers, BODY)


def test_old_timestamp_is_rejected() -> None:
    headers = sign(SECRET, "msg_1", datetime.now(UTC) - timedelta(hours=1), BODY)

    with pytest.raises(SignatureVerificationError, match="too old"):
        verify(SECRET, headers, BODY)


def test_spec_example_vector() -> None:
    # Example from the Standard Webhooks reference libraries' test suites.
    headers = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        '{"test": 2432232314}',
    )

    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_time_zone_of_the_timestamp_does_not_change_the_signature() -> None:
    instant = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    elsewhere = instant.astimezone(timezone(timedelta(hours=-5)))

    assert sign(SECRET, "m", instant, BODY) == sign(SECRET, "m", elsewhere, BODY)


def test_bad_secret_says_what_to_use() -> None:
    with pytest.raises(WebhookSecretError, match="whsec_"):
        sign("plain-password", "m", 0, BODY)
