"""Callbacks on Twilio: 1 on hold keeps the caller's place and ends the call; when an agent is
free the service calls the agent (REST ``calls.create`` to the fake Twilio API), and the
agent's leg dials the customer, recorded on two channels. An agent who does not answer goes
away and the next agent gets the callback."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from twilio_harness import PUBLIC, TwilioLine, _Backend

from voice.ivr.nodes.queue import CALLBACK_CONFIRMATION
from voice.recordings.repository import RecordingRepository

PASSWORD = "correct horse battery"
LEE = "+15551230002"  # Lee Park, a demo customer: ANI + PIN


def _asks_for_callback(twilio_app, line: TwilioLine) -> None:
    """Lee reaches ``billing`` (callback: true) and presses 1 while on hold."""
    _Backend.slow_seconds = 2.0  # the CRM misses the budget: not VIP, so plain `billing`
    line.from_number = LEE
    try:
        line.run(["1", "20005678#", "8642#", "1"])
    finally:
        _Backend.slow_seconds = 0.0


def test_press_one_on_hold_keeps_the_place_and_ends_the_call(twilio_app,
                                                             line: TwilioLine) -> None:
    _asks_for_callback(twilio_app, line)
    hold = next(ET.fromstring(r) for r in line.replies if "<Gather" in r and "queue?" in r)
    gather = hold.find("Gather")
    assert gather.get("numDigits") == "1" and gather.get("actionOnEmptyResult") is None
    assert gather.get("action") == f"{PUBLIC}/twilio/queue?call={line.call_sid}&n=1"
    assert [child.tag for child in gather] == ["Say", "Say", "Pause"]  # press 1 at any time
    assert hold.findtext("Redirect") == f"{PUBLIC}/twilio/queue?call={line.call_sid}&n=1"
    assert any("To be called back without losing your place in line, press 1." in said
               for said in line.heard)
    assert line.heard[-1] == CALLBACK_CONFIRMATION and line.ended
    services = twilio_app.extensions["voice"]
    call = services.call_repository.get(line.call_sid)
    assert call.outcome == "callback" and call.path[-1].outcome == "callback"
    placement = services.acd.distributor.placement(line.call_sid)
    assert (placement.status, placement.position) == ("waiting", 1)


def test_callback_rings_the_agent_then_dials_the_customer(twilio_app, line: TwilioLine,
                                                          twilio_cloud, clock) -> None:
    _asks_for_callback(twilio_app, line)
    services = twilio_app.extensions["voice"]
    acd = services.acd
    acd.agents.add("cara", PASSWORD, queues=["billing"], skills=["billing"],
                   twilio_identity="cara-web")
    acd.agents.add("dave", PASSWORD, queues=["billing"], skills=["billing"],
                   contact="sip:dave@pbx.example.com:5060")
    cara, dave = acd.agents.get("cara").id, acd.agents.get("dave").id

    acd.agents.set_state("cara", "available")
    ((cara_sid, cara_call),) = twilio_cloud.placed_calls()
    assert cara_call["To"] == "client:cara-web"
    assert cara_call["From"] == "+15550100"  # the number the customer called
    assert cara_call["Url"] == f"{PUBLIC}/twilio/callback-agent?call={line.call_sid}&agent={cara}"
    assert cara_call["StatusCallback"] == (
        f"{PUBLIC}/twilio/callback-status?call={line.call_sid}&agent={cara}")
    assert cara_call["StatusCallbackEvent"] == "answered completed"
    assert acd.agents.get("cara").state == "reserved"

    cara_leg = TwilioLine(twilio_app.test_client(), clock, call_sid=cara_sid,
                          from_number="+15550100", to_number="client:cara-web")
    missed = cara_leg.post(cara_call["StatusCallback"], {"CallStatus": "no-answer"})
    assert missed.status_code == 204
    assert (acd.agents.get("cara").state, acd.agents.get("cara").state_reason) == (
        "away", "missed call")
    placement = acd.distributor.placement(line.call_sid)
    assert (placement.status, placement.position) == ("waiting", 1)  # still first in line

    acd.agents.set_state("dave", "available")
    (_, (dave_sid, dave_call)) = twilio_cloud.placed_calls()
    assert dave_call["To"] == "sip:dave@pbx.example.com:5060"
    assert dave_call["Url"].endswith(f"&agent={dave}")
    dave_leg = TwilioLine(twilio_app.test_client(), clock, call_sid=dave_sid,
                          from_number="+15550100", to_number=dave_call["To"],
                          status_url=dave_call["StatusCallback"], cloud=twilio_cloud)
    assert dave_leg.post(dave_call["StatusCallback"], {"CallStatus": "in-progress"}
                         ).status_code == 204
    assert acd.agents.get("dave").state == "on_call"

    dave_leg.goto(dave_call["Url"])

    assert dave_leg.heard == ["Calling the customer back."]
    dial = ET.fromstring(dave_leg.replies[0]).find("Dial")
    assert dial.findtext("Number") == LEE and dial.get("callerId") == "+15550100"
    assert dial.get("record") == "record-from-answer-dual"
    assert dave_leg.dialed[0][0] == "completed" and dave_leg.ended
    assert acd.agents.get("dave").state == "wrap_up"
    assert acd.distributor.placement(line.call_sid).status == "ended"
    (talk,) = [r for r in RecordingRepository(services.session_factory).list_for_call(
        line.call_sid) if r.agent]
    assert (talk.kind, talk.channels, talk.agent, talk.queue) == ("call", 2, "dave", "billing")


def test_a_callback_no_longer_theirs_is_not_dialled(twilio_app, line: TwilioLine,
                                                    clock) -> None:
    _asks_for_callback(twilio_app, line)
    stray = TwilioLine(twilio_app.test_client(), clock, call_sid="CA" + "d" * 32)
    reply = stray.parse(stray.post(
        f"/twilio/callback-agent?call={line.call_sid}&agent=99", {}))
    assert [verb.tag for verb in reply] == ["Say", "Hangup"]
    assert reply.find("Dial") is None
