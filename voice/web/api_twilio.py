"""The browser softphone's Twilio access token: ``GET /api/agents/me/twilio-token``.

An agent whose ``twilio_identity`` is set takes calls in the browser with Twilio's Voice
JavaScript SDK, which needs a short-lived access token (a JWT signed with a Twilio API key)
carrying a Voice grant: incoming calls to that identity (the ``<Client>`` of the hand-off)
and outgoing calls through the TwiML App. The answer is ``{"token", "identity",
"expires_in"}``; the page asks again before it expires. 503 names the settings to set when
they are missing, 409 says the agent has no Twilio identity. The API key secret never
leaves this process except as the token's signature.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from voice.acd.errors import NotAnAgentError
from voice.web import services
from voice.web.access import current_user, require_role
from voice.web.errors import ApiError

bp = Blueprint("api_twilio", __name__)


class TwilioTokenUnavailableError(ApiError):
    """The service lacks the settings a softphone token needs."""

    status = 503
    error_id = "twilio-not-configured"


class NoTwilioIdentityError(ApiError):
    """The agent cannot take calls in the browser: no Twilio identity."""

    status = 409
    error_id = "no-twilio-identity"


class NotAnAgentApiError(ApiError):
    """The signed-in user has the agent role but no agent record."""

    status = 404
    error_id = "agent-not-found"


@bp.get("/api/agents/me/twilio-token")
@require_role("agent")
def twilio_token() -> Response:
    """A Voice SDK access token for the signed-in agent's ``twilio_identity``."""
    svc = services()
    settings = svc.settings
    missing = settings.missing_twilio_token_settings()
    if missing:
        raise TwilioTokenUnavailableError(
            f"browser softphones are not set up on this service: set {', '.join(missing)} "
            "(Twilio console: Account > API keys & tokens for the key, Voice > TwiML Apps for "
            "the app) and restart", missing=missing)
    assert svc.acd is not None
    try:
        agent = svc.acd.agents.for_user(current_user().username)
    except NotAnAgentError as exc:
        raise NotAnAgentApiError(str(exc)) from None
    if not agent.twilio_identity:
        raise NoTwilioIdentityError(
            f"agent '{agent.name}' has no Twilio identity, so calls cannot ring in the "
            f"browser; an admin sets one with 'voice agents set {agent.name} "
            f"--twilio-identity ID' or PATCH /api/agents/{agent.name} "
            '{"twilio_identity": "ID"}', agent=agent.name)
    ttl = settings.twilio_token_ttl
    token = AccessToken(settings.twilio_account_sid, settings.twilio_api_key_sid,
                        settings.twilio_api_key_secret, identity=agent.twilio_identity,
                        ttl=ttl)
    token.add_grant(VoiceGrant(outgoing_application_sid=settings.twilio_twiml_app_sid,
                               incoming_allow=True))
    response = jsonify(token=token.to_jwt(), identity=agent.twilio_identity, expires_in=ttl)
    response.headers["Cache-Control"] = "no-store"
    return response
