"""The Twilio agent hand-off: a held caller is moved to the agent the ACD chose (REST redirect
to the fake Twilio API), the agent's browser rings through ``<Dial><Client>``, the answer and
the end reach the ACD and the flow, and a ring-no-answer goes to the next agent."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

from twilio_harness import PUBLIC, TwilioLine, sign

from voice.recordings.repository import RecordingRepository

PASSWORD = "correct horse battery"


def _services(app):
    return app.extensions["voice"]


def _agent(app, name: str):
    return _services(app).acd.agents.get(name)


def _hold(line: TwilioLine) -> None:
    """Menu 0 (an agent): the caller joins queue ``general`` and holds."""
    line.run(["0"], max_redirects=1)
    assert "You are number 1 in line." in " ".join(line.heard)


def _staff(app, name: str, **reach: str) -> None:
    _services(app).acd.agents.add(name, PASSWORD, queues=["general"], **reach)


def test_offer_redirects_the_caller_who_is_connected_then_the_agent_wraps_up(
        twilio_app, line: TwilioLine, twilio_cloud) -> None:
    _hold(line)
    _staff(twilio_app, "ann", twilio_identity="ann-web")
    _services(twilio_app).acd.agents.set_state("ann", "available")

    agent_url = f"{PUBLIC}/twilio/agent?call={line.call_sid}"
    assert twilio_cloud.redirects(line.call_sid) == [agent_url]  # out of hold music at once
    (redirect,) = twilio_cloud.requests_to(f"/Calls/{line.call_sid}.json")
    assert redirect.authorized and redirect.form["Method"] == "POST"
    assert _agent(twilio_app, "ann").state == "reserved"

    dial = line.parse(line.post(agent_url, {})).find("Dial")
    ann_id = _agent(twilio_app, "ann").id
    assert dial.get("record") == "record-from-answer-dual" and dial.get("timeout") == "20"
    assert dial.get("answerOnBridge") == "true"
    assert dial.get("action") == f"{PUBLIC}/twilio/agent-dial?call={line.call_sid}&agent={ann_id}"
    assert dial.get("recordingStatusCallback") == (
        f"{PUBLIC}/twilio/recording-status?call={line.call_sid}&kind=call&agent=ann"
        "&queue=general")
    client = dial.find("Client")
    assert client.find("Identity").text == "ann-web"
    assert {p.get("name"): p.get("value") for p in client.findall("Parameter")} == {
        "call": line.call_sid, "queue": "general"}
    assert client.get("statusCallbackEvent") == "answered completed"

    answered = line.post(client.get("statusCallback"), {
        "CallSid": "CA" + "c" * 32, "ParentCallSid": line.call_sid, "CallStatus": "in-progress"})
    assert answered.status_code == 204
    assert _agent(twilio_app, "ann").state == "on_call"
    call = _services(twilio_app).call_repository.get(line.call_sid)
    step = call.path[-1]
    assert (step.node, step.outcome, step.detail["agent"]) == ("agents", "agent", "ann")
    whole = _services(twilio_app).call_service.store.load(line.call_sid).adapter["recording_sid"]
    (stop,) = twilio_cloud.requests_to(f"/Recordings/{whole}.json")
    assert stop.form["Status"] == "stopped"  # the <Dial> records the conversation

    after = line.parse(line.post(dial.get("action"), {"DialCallStatus": "completed"}))
    assert [verb.tag for verb in after] == ["Hangup"]  # the agent hung up: so does the caller
    line.hang_up()
    ann = _agent(twilio_app, "ann")
    assert ann.state == "wrap_up" and ann.call_id is None
    assert _services(twilio_app).acd.distributor.placement(line.call_sid).status == "ended"


def test_ring_no_answer_goes_to_the_next_agent_and_the_talk_is_recorded(
        twilio_app, line: TwilioLine, twilio_cloud) -> None:
    line.cloud = twilio_cloud
    _hold(line)
    _staff(twilio_app, "ann", twilio_identity="ann-web")
    _staff(twilio_app, "bob", twilio_identity="bob-web")
    acd = _services(twilio_app).acd
    acd.agents.set_state("ann", "available")  # longest idle: offered first
    acd.agents.set_state("bob", "available")
    (agent_url,) = twilio_cloud.redirects(line.call_sid)

    line.goto(agent_url, ["no-answer"])

    assert [status for status, _ in line.dialed] == ["no-answer", "completed"]
    identities = [ET.fromstring(r).findtext("Dial/Client/Identity") for r in line.replies]
    assert [i for i in identities if i] == ["ann-web", "bob-web"]
    ann, bob = _agent(twilio_app, "ann"), _agent(twilio_app, "bob")
    assert (ann.state, ann.state_reason) == ("away", "missed call")
    assert bob.state == "wrap_up"
    # bob's offer was made while ann's <Dial> action was answered: that reply led to him,
    # so no second REST redirect raced it
    assert twilio_cloud.redirects(line.call_sid) == [agent_url]
    path = _services(twilio_app).call_repository.get(line.call_sid).path
    assert [(s.node, s.outcome) for s in path][-1] == ("agents", "agent")
    assert path[-1].detail["agent"] == "bob"
    services = _services(twilio_app)
    (talk,) = [r for r in RecordingRepository(services.session_factory).list_for_call(
        line.call_sid) if r.agent]
    assert (talk.kind, talk.channels, talk.agent, talk.queue) == ("call", 2, "bob", "general")


def test_the_hold_loop_dials_when_the_redirect_fails(twilio_app, line: TwilioLine,
                                                     twilio_cloud, caplog) -> None:
    _hold(line)
    _staff(twilio_app, "ann", contact="sip:ann@pbx.example.com:5060")
    twilio_cloud.fail_next(500)
    with caplog.at_level(logging.ERROR, logger="voice.twilio.agents"):
        _services(twilio_app).acd.agents.set_state("ann", "available")
    assert "redirect (the hold loop dials) to agent ann failed" in caplog.text
    assert line.call_sid in caplog.text
    next_round = ET.fromstring(line.replies[-1]).findtext("Redirect")
    line.goto(next_round)
    (dial,) = [d for r in line.replies if (d := ET.fromstring(r).find("Dial")) is not None]
    assert dial.findtext("Sip") == "sip:ann@pbx.example.com:5060"
    assert dial.find("Sip").get("statusCallbackEvent") == "answered completed"
    assert line.ended and _agent(twilio_app, "ann").state == "wrap_up"


def test_no_offer_sends_the_caller_back_to_the_hold_loop(twilio_app, line: TwilioLine) -> None:
    _hold(line)
    reply = line.parse(line.post(f"/twilio/agent?call={line.call_sid}", {}))
    target = reply.findtext("Redirect")
    assert target.startswith(f"{PUBLIC}/twilio/queue?call={line.call_sid}&n=0&resume=")
    again = line.parse(line.post(target, {}))
    assert "You are number 1 in line." in " ".join(s.text for s in again.iter("Say"))


def test_forged_or_unsigned_hand_off_webhooks_get_403(twilio_app, line: TwilioLine) -> None:
    _hold(line)
    call = line.call_sid
    for path, params in [
            (f"/twilio/agent?call={call}", {}),
            (f"/twilio/agent-status?call={call}&agent=1", {"CallStatus": "in-progress"}),
            (f"/twilio/agent-dial?call={call}&agent=1", {"DialCallStatus": "no-answer"}),
            (f"/twilio/callback-agent?call={call}&agent=1", {}),
            (f"/twilio/callback-status?call={call}&agent=1", {"CallStatus": "completed"}),
            (f"/twilio/callback-dial?call={call}&agent=1", {"DialCallStatus": "completed"})]:
        assert line.post(path, params, signature="").status_code == 403, path
        assert line.post(path, params, signature="Zm9yZ2Vk").status_code == 403, path
        # signed for agent 1, sent for agent 2: the signature covers the query
        good = sign(PUBLIC + path, {"CallSid": call, "AccountSid": "AC123", **params})
        changed = path.replace("agent=1", "agent=2") if "agent=1" in path else path + "&x=1"
        assert line.post(changed, params, signature=good).status_code == 403, path
