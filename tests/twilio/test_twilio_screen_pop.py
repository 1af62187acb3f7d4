"""The screen pop over Twilio: a verified caller queues, an agent is reserved, and the CRM
receives a signed ``call.offered`` carrying who called, how they were verified and what
they did in the IVR, before the agent's browser phone rings."""

from __future__ import annotations

from twilio_harness import Clock, TwilioLine
from webhook_receiver import running_receiver

PASSWORD = "correct horse battery"


def test_verified_caller_pops_on_the_crm_when_the_agent_is_reserved(
        twilio_app, line: TwilioLine, twilio_cloud, clock: Clock) -> None:
    services = twilio_app.extensions["voice"]
    with running_receiver(clock) as crm:
        _id, crm.secret = services.webhook_endpoints.add(
            crm.url, events=["call.offered"], queues=["billing"])
        line.from_number = "+15551230001"  # Dana Smith, a gold demo customer
        line.run(["1", "10001234#", "1234#"], max_redirects=1)  # billing, verified, on hold
        services.acd.agents.add("ann", PASSWORD, queues=["billing"], skills=["billing:2"],
                                twilio_identity="ann-web", extension="201")
        services.acd.agents.set_state("ann", "available")
        [pop] = crm.wait_for(1)
    assert twilio_cloud.redirects(line.call_sid)  # and the caller is on the way to ann
    assert pop.verified, pop.problem
    body = pop.json()
    assert body["type"] == "call.offered"
    data = body["data"]
    assert (data["call_id"], data["channel"], data["from"]) == (
        line.call_sid, "twilio", "+15551230001")
    assert data["authentication"]["verified"] is True
    assert data["authentication"]["customer_name"] == "Dana Smith"
    assert data["authentication"]["account"] == "****1234"
    assert [s["node"] for s in data["ivr_path"]][:4] == ["greeting", "hours", "main_menu",
                                                         "auth"]
    assert data["inputs"]["main_menu"] == "1"
    assert data["queue"]["name"] == "billing" and data["queue"]["priority"] == 10
    assert data["agent"]["name"] == "ann" and data["agent"]["extension"] == "201"
    assert "1234#" not in pop.body.decode() and '"1234"' not in pop.body.decode()
