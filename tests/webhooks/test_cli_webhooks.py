"""``voice webhooks`` against a real receiver: add (secret once), list (never secrets),
deliveries, replay, test pings, rotate/disable/enable/remove, and errors that say what to
fix. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner, Result
from webhook_receiver import WebhookReceiver, running_receiver

from voice.cli import main
from voice.compose import Services

Voice = Callable[..., Result]


@pytest.fixture
def voice(services: Services) -> Voice:
    """``voice(*args)``: run a ``voice`` command on the test database."""
    settings = services.settings
    env = {"VOICE_DATA_DIR": str(settings.data_dir),
           "VOICE_DATABASE_URL": settings.database_url,
           "VOICE_FLOWS_DIR": str(settings.flows_dir)}

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["webhooks", *args], env=env)

    return run


@pytest.fixture
def live_receiver() -> Iterator[WebhookReceiver]:
    """A receiver checking timestamps against the wall clock (the CLI's clock)."""
    with running_receiver() as started:
        yield started


def _add(voice: Voice, receiver: WebhookReceiver, *options: str) -> int:
    result = voice("add", receiver.url, *options, "--json")
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    receiver.secret = created["secret"]
    return int(created["id"])


def test_add_prints_id_and_secret_once_and_list_never_shows_it(voice: Voice) -> None:
    result = voice("add", "https://crm.example.com/hook", "--events",
                   "call.offered,call.ended", "--queue", "sales", "--json")

    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert set(created) == {"id", "secret"} and created["secret"].startswith("whsec_")
    assert result.stdout.strip() == json.dumps({"id": created["id"],
                                                "secret": created["secret"]})
    listed = voice("list", "--json")
    assert listed.exit_code == 0
    [endpoint] = json.loads(listed.stdout)
    assert endpoint["events"] == ["call.offered", "call.ended"]
    assert endpoint["queues"] == ["sales"] and endpoint["enabled"] is True
    table = voice("list")
    assert "https://crm.example.com/hook" in table.stdout and "sales" in table.stdout
    secret_key = created["secret"].removeprefix("whsec_")
    assert secret_key not in listed.stdout + table.stdout


def test_bad_options_exit_2_naming_what_to_fix(voice: Voice) -> None:
    bad_event = voice("add", "https://crm.example.com/hook", "--events", "call.offerd")
    bad_url = voice("add", "crm.example.com/hook")
    bad_status = voice("deliveries", "--status", "lost")

    assert bad_event.exit_code == 2 and "call.offerd" in bad_event.output
    assert "call.offered" in bad_event.output  # the known names
    assert bad_url.exit_code == 2 and "https://" in bad_url.output
    assert bad_status.exit_code == 2 and "pending" in bad_status.output
    assert json.loads(voice("list", "--json").stdout) == []


def test_unknown_ids_exit_1_saying_where_to_look(voice: Voice) -> None:
    for args in (("rotate", "7"), ("disable", "7"), ("enable", "7"), ("remove", "7"),
                 ("test", "7"), ("replay", "7")):
        result = voice(*args)
        assert result.exit_code == 1, args
        assert "voice webhooks" in result.output and "7" in result.output


def test_deliveries_and_replay(services: Services, voice: Voice,
                               live_receiver: WebhookReceiver,
                               emit: Callable[..., list[int]]) -> None:
    endpoint_id = _add(voice, live_receiver)
    [delivery_id] = emit("call.offered", {"call_id": "CA1"}, call_id="CA1")

    listed = json.loads(voice("deliveries", "--json").stdout)
    assert [(d["id"], d["status"], d["endpoint_id"]) for d in listed] == [
        (delivery_id, "pending", endpoint_id)]
    replayed = voice("replay", str(delivery_id))
    assert replayed.exit_code == 0, replayed.output
    assert "Delivered" in replayed.stdout
    again = voice("replay", str(delivery_id))
    assert again.exit_code == 0, again.output

    first, second = live_receiver.received
    assert first.verified and second.verified
    assert first.webhook_id == second.webhook_id == listed[0]["msg_id"]
    delivered = json.loads(voice("deliveries", "--status", "delivered", "--endpoint",
                                 str(endpoint_id), "--json").stdout)
    assert [d["id"] for d in delivered] == [delivery_id]
    assert "delivered" in voice("deliveries").stdout


def test_a_failed_replay_exits_1_and_is_retried_later(
        voice: Voice, live_receiver: WebhookReceiver,
        emit: Callable[..., list[int]]) -> None:
    _add(voice, live_receiver)
    [delivery_id] = emit("call.ended", {"call_id": "CA1"}, call_id="CA1")
    live_receiver.answer(500)

    result = voice("replay", str(delivery_id))

    assert result.exit_code == 1
    assert "HTTP 500" in result.output and "retries it at" in result.output
    [view] = json.loads(voice("deliveries", "--json").stdout)
    assert (view["status"], view["attempts"], view["last_status"]) == ("pending", 1, 500)


def test_test_pings_the_endpoint_whatever_its_filters(
        voice: Voice, live_receiver: WebhookReceiver) -> None:
    endpoint_id = _add(voice, live_receiver, "--events", "transcript.ready")

    result = voice("test", str(endpoint_id))

    assert result.exit_code == 0, result.output
    [ping] = live_receiver.received
    assert ping.verified and ping.json()["type"] == "webhook.test"


def test_rotate_disable_enable_remove(voice: Voice, live_receiver: WebhookReceiver) -> None:
    endpoint_id = _add(voice, live_receiver)
    old = live_receiver.secret

    rotated = voice("rotate", str(endpoint_id), "--json")
    assert rotated.exit_code == 0
    live_receiver.secret = json.loads(rotated.stdout)["secret"]
    assert live_receiver.secret != old
    assert voice("test", str(endpoint_id)).exit_code == 0
    assert live_receiver.received[-1].verified  # signed with the new secret

    assert "voice webhooks enable" in voice("disable", str(endpoint_id)).stdout
    [endpoint] = json.loads(voice("list", "--json").stdout)
    assert endpoint["enabled"] is False and endpoint["disabled_reason"]
    assert voice("enable", str(endpoint_id)).exit_code == 0
    assert json.loads(voice("list", "--json").stdout)[0]["enabled"] is True
    assert voice("remove", str(endpoint_id)).exit_code == 0
    assert json.loads(voice("list", "--json").stdout) == []
