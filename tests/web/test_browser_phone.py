"""The agent desktop's browser phone (Twilio Voice JavaScript SDK) in a real browser: Debian's
Chromium driven by Playwright, the real app on a loopback port, the SDK vendored by
``scripts/setup.sh``.

With a Twilio identity and the token settings (well-formed fake SIDs) the page fetches the
access token, loads the SDK under the strict Content-Security-Policy, creates the device and,
since Twilio cannot be reached, ends in a clear "Offline: ..." status. Without an identity,
or without the token settings, no SDK is loaded and the panel says what to set up.

Nothing leaves the machine: the browser context aborts every HTTP request to a host other
than 127.0.0.1 (Playwright routing) and Chromium resolves no other host name, which also
stops the SDK's signaling WebSocket, so its attempts fail at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from live_browser import LOOPBACK, launch_chromium, serve_app, sync_api
from staff_login import FAST_HASHING, PASSWORD, sign_in
from tooling import in_ci

from voice.compose import Services
from voice.settings import PROJECT_ROOT, Settings
from voice.web import agent_page
from voice.web.agent_page import TWILIO_VOICE_SDK, TWILIO_VOICE_SDK_VERSION

#: only 127.0.0.1 resolves: the SDK's WebSocket to Twilio fails without leaving the machine
RESOLVE_LOOPBACK_ONLY = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
#: the token settings, fake but well-formed (so the service signs a token)
TOKEN_ENV = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
             "VOICE_TWILIO_API_KEY_SID": "SK" + "0123456789abcdef" * 2,
             "VOICE_TWILIO_API_KEY_SECRET": "not-a-real-secret-" + "x" * 32,
             "VOICE_TWILIO_TWIML_APP_SID": "AP" + "fedcba9876543210" * 2}
SDK_FILE = PROJECT_ROOT / "voice" / "web" / "static" / TWILIO_VOICE_SDK
#: a stand-in for the SDK with its Device/Call surface, for what Twilio's cloud would do:
#: register at once, ring with fakeTwilio.ring(from, callId), ask for a new token
FAKE_SDK = """(function () {
  function on(name, fn) { (this.handlers[name] = this.handlers[name] || []).push(fn); return this; }
  function emit(name) {
    var args = [].slice.call(arguments, 1);
    (this.handlers[name] || []).forEach(function (fn) { fn.apply(null, args); });
  }
  function Call(from, id) {
    this.handlers = {}; this.log = []; this.muted = false;
    this.parameters = { From: from }; this.customParameters = new Map([["call", id]]);
  }
  Call.prototype.on = on; Call.prototype.emit = emit;
  Call.prototype.accept = function () { this.log.push("accept"); this.emit("accept", this); };
  Call.prototype.reject = function () { this.log.push("reject"); this.emit("reject"); };
  Call.prototype.disconnect = function () {
    this.log.push("disconnect"); this.emit("disconnect", this);
  };
  Call.prototype.mute = function (m) {
    this.muted = m; this.log.push(m ? "mute" : "unmute"); this.emit("mute", m, this);
  };
  Call.prototype.isMuted = function () { return this.muted; };
  function Device(token, options) {
    this.handlers = {}; this.token = token; this.options = options; this.state = "unregistered";
    this.tokens = [token]; fake.devices.push(this);
  }
  Device.prototype.on = on; Device.prototype.emit = emit;
  Device.prototype.register = function () {
    var device = this;
    device.state = "registering"; device.emit("registering");
    return Promise.resolve().then(function () {
      device.state = "registered"; device.emit("registered");
    });
  };
  Device.prototype.updateToken = function (token) { this.token = token; this.tokens.push(token); };
  var fake = window.fakeTwilio = { devices: [], calls: [], ring: function (from, id) {
    var call = new Call(from, id); fake.calls.push(call); fake.devices[0].emit("incoming", call);
  } };
  window.Twilio = { Device: Device };
}());
"""
#: console messages that mean the page is broken: blocked by the CSP, or a file not found
BROKEN = re.compile(r"Content Security Policy|Refused to|status of 404", re.IGNORECASE)


@pytest.fixture
def token_env() -> dict[str, str]:
    """The Twilio token settings of the service (tests parametrize it to leave them out)."""
    return TOKEN_ENV


@pytest.fixture
def settings(tmp_path: Path, make_settings: Callable[..., Settings],
             token_env: dict[str, str]) -> Settings:
    """SQLite only: nothing here depends on the database."""
    return make_settings(f"sqlite:///{tmp_path / 'db' / 'voice.db'}", tmp_path / "data",
                         **FAST_HASHING, **token_env)


@pytest.fixture
def live_url(services: Services) -> Iterator[str]:
    """The real app served on a loopback port by a threaded server (SSE needs threads)."""
    with serve_app(services) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium (the Debian package, not a Playwright download)."""
    with launch_chromium(RESOLVE_LOOPBACK_ONLY) as chromium:
        yield chromium


class Watched:
    """A page of a loopback-only browser context, with what went wrong or was blocked."""

    def __init__(self, browser: Any) -> None:
        self.blocked: list[str] = []
        self.broken: list[str] = []
        self.sockets: list[str] = []
        self.context = browser.new_context()
        self.context.route(_external, self._abort)
        # reports CSP violations the console might word differently
        self.context.add_init_script(
            "window.__csp = []; document.addEventListener('securitypolicyviolation', "
            "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.broken.append(f"page error: {exc}"))
        self.page.on("console", self._console)
        self.page.on("response", self._response)
        self.page.on("websocket", lambda ws: self.sockets.append(ws.url))

    def _abort(self, route: Any) -> None:
        self.blocked.append(route.request.url)
        route.abort("internetdisconnected")

    def _console(self, message: Any) -> None:
        if message.type == "error" and BROKEN.search(message.text):
            self.broken.append(f"console: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and not response.url.endswith("/twilio-token"):
            self.broken.append(f"{response.status} {response.url}")

    def csp_violations(self) -> list[str]:
        """What the page's Content-Security-Policy refused so far."""
        violations: list[str] = self.page.evaluate("() => window.__csp")
        return violations

    def sign_in(self, live_url: str, username: str) -> None:
        """Open the desktop, sign in on the login page it sends to, land on the desktop."""
        expect = sync_api.expect
        self.page.goto(f"{live_url}/agent")
        expect(self.page).to_have_url(re.compile(r"/login\?next=%2Fagent$"))
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page).to_have_url(f"{live_url}/agent")


def _external(url: str) -> bool:
    """True for network requests to any host but the loopback test server."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != LOOPBACK


def _require_sdk() -> None:
    if SDK_FILE.is_file():
        return
    message = f"{SDK_FILE} is missing; fetch it with: bash scripts/setup.sh"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def _text(locator: Any) -> str:
    return " ".join(str(locator.inner_text()).split())


def test_configured_agent_gets_a_device_that_reports_twilio_unreachable(
        services: Services, live_url: str, browser: Any) -> None:
    expect = sync_api.expect
    _require_sdk()
    assert services.acd is not None
    services.acd.agents.add("ann", PASSWORD, queues=["support"], twilio_identity="ann-desk")
    watched = Watched(browser)
    page = watched.page

    with page.expect_response(lambda r: urlsplit(r.url).path
                              == "/api/agents/me/twilio-token") as token_answer:
        watched.sign_in(live_url, "ann")
    assert token_answer.value.status == 200
    grant = token_answer.value.json()
    assert grant["identity"] == "ann-desk" and grant["token"].count(".") == 2

    panel = page.locator("#browser-phone")
    expect(panel).to_have_attribute("data-enabled", "1")
    expect(panel.get_by_role("heading", name="Browser phone")).to_be_visible()
    expect(page.locator(f'script[src^="/static/{TWILIO_VOICE_SDK}"]')).to_have_count(1)
    expect(page.locator('script[src^="/static/browser_phone.js"]')).to_have_count(1)
    page.wait_for_function("() => window.voiceBrowserPhone && window.voiceBrowserPhone.device")
    assert page.evaluate("() => window.voiceBrowserPhone.device.token") == grant["token"]
    assert page.evaluate("() => typeof Twilio.Device") == "function"

    # Twilio is out of reach: a clear offline status with the SDK's reason, not a hang
    status = page.locator("#phone-status")
    expect(status).to_have_attribute("data-phone-state", "offline")
    expect(status).to_contain_text(re.compile(r"^Offline: cannot reach Twilio — \S"))
    assert page.evaluate("() => window.voiceBrowserPhone.state") == "offline"
    assert page.evaluate("() => window.voiceBrowserPhone.device.state") != "registered"
    expect(page.get_by_role("status").filter(has=status)).to_have_attribute("aria-live",
                                                                            "polite")
    for name in ("Answer", "Decline", "Mute", "Hang up"):  # no call: no call buttons
        expect(panel.get_by_role("button", name=name)).to_be_hidden()
    assert any(urlsplit(url).hostname.endswith(".twilio.com")  # type: ignore[union-attr]
               for url in watched.sockets), watched.sockets
    assert all(_external(url) for url in watched.blocked)
    assert watched.csp_violations() == []
    assert watched.broken == []
    # the rest of the desktop still works
    expect(page.locator("#connection")).to_have_text("connected")


def test_calls_ring_answer_mute_hang_up_and_decline(services: Services, live_url: str,
                                                   browser: Any) -> None:
    """The page's call handling, with a stand-in SDK (Twilio's cloud is out of reach here)."""
    expect = sync_api.expect
    _require_sdk()  # the page loads the SDK only when the file is there
    assert services.acd is not None
    services.acd.agents.add("ann", PASSWORD, queues=["support"], twilio_identity="ann-desk")
    watched = Watched(browser)
    page = watched.page
    page.route(f"**/static/{TWILIO_VOICE_SDK}", lambda route: route.fulfill(
        status=200, content_type="application/javascript", body=FAKE_SDK))

    watched.sign_in(live_url, "ann")

    status = page.locator("#phone-status")
    panel = page.locator("#browser-phone")
    answer, decline = panel.get_by_role("button", name="Answer"), \
        panel.get_by_role("button", name="Decline")
    mute, hang_up = panel.get_by_role("button", name="Mute"), \
        panel.get_by_role("button", name="Hang up")
    expect(status).to_have_text("Ready: calls ring here")
    assert page.evaluate("() => window.voiceBrowserPhone.device.options") == {
        "codecPreferences": ["opus", "pcmu"], "closeProtection": True}

    page.evaluate("() => fakeTwilio.ring('+15551230001', 'call-7')")
    expect(panel.get_by_role("alert")).to_have_text("Incoming call from +15551230001 (call call-7)")
    expect(status).to_have_text("Ringing: +15551230001")
    expect(answer).to_be_focused()
    expect(mute).to_be_hidden()
    answer.click()
    expect(status).to_have_text("On a call: +15551230001")
    expect(answer).to_be_hidden()
    expect(decline).to_be_hidden()
    expect(page.locator("#phone-incoming")).to_be_hidden()
    expect(mute).to_have_attribute("aria-pressed", "false")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    hang_up.click()
    expect(status).to_have_text("Ready: calls ring here")
    expect(hang_up).to_be_hidden()
    expect(page.locator("#phone-mute")).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("() => fakeTwilio.calls[0].log") == ["accept", "mute", "disconnect"]

    page.evaluate("() => fakeTwilio.ring('client:supervisor', 'call-8')")
    expect(panel.get_by_role("alert")).to_have_text("Incoming call from supervisor (call call-8)")
    decline.click()
    expect(status).to_have_text("Ready: calls ring here")
    expect(answer).to_be_hidden()
    assert page.evaluate("() => fakeTwilio.calls[1].log") == ["reject"]

    page.evaluate("() => fakeTwilio.ring('+15551230002', 'call-9')")  # the caller gives up
    expect(status).to_have_text("Ringing: +15551230002")
    page.evaluate("() => fakeTwilio.calls[2].emit('cancel')")
    expect(status).to_have_text("Ready: calls ring here")
    expect(page.locator("#phone-incoming")).to_be_hidden()

    with page.expect_response(lambda r: urlsplit(r.url).path
                              == "/api/agents/me/twilio-token") as renewed:
        page.evaluate("() => fakeTwilio.devices[0].emit('tokenWillExpire')")
    assert renewed.value.status == 200
    page.wait_for_function("() => fakeTwilio.devices[0].tokens.length === 2")
    assert page.evaluate("() => fakeTwilio.devices[0].token") == renewed.value.json()["token"]
    assert watched.csp_violations() == [] and watched.broken == []


@pytest.mark.parametrize("token_env", [TOKEN_ENV])
def test_agent_without_twilio_identity_gets_no_sdk(services: Services, live_url: str,
                                                   browser: Any) -> None:
    expect = sync_api.expect
    assert services.acd is not None
    services.acd.agents.add("bob", PASSWORD, queues=["support"],
                            contact="sip:bob@127.0.0.1:5999")
    watched = Watched(browser)
    page = watched.page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(urlsplit(request.url).path))

    watched.sign_in(live_url, "bob")

    panel = page.locator("#browser-phone")
    expect(panel).to_have_attribute("data-enabled", "0")
    expect(panel.locator("#phone-status")).to_have_text("The browser phone is not configured:")
    expect(panel.locator("#phone-problems li")).to_have_count(1)
    expect(panel).to_contain_text("Agent 'bob' has no Twilio identity")
    expect(panel).to_contain_text("voice agents set bob --twilio-identity ID")
    expect(page.locator('script[src*="twilio-voice"]')).to_have_count(0)
    expect(page.locator('script[src*="browser_phone"]')).to_have_count(0)
    expect(page.locator("#connection")).to_have_text("connected")
    assert page.evaluate("() => typeof window.Twilio") == "undefined"
    assert page.evaluate("() => window.voiceBrowserPhone === undefined")
    assert "/api/agents/me/twilio-token" not in requested
    assert watched.csp_violations() == [] and watched.broken == []
    assert watched.blocked == [] and watched.sockets == []


@pytest.mark.parametrize("token_env", [{}])
def test_missing_token_settings_are_named_on_the_panel(services: Services, live_url: str,
                                                       browser: Any) -> None:
    expect = sync_api.expect
    assert services.acd is not None
    services.acd.agents.add("ann", PASSWORD, queues=["support"], twilio_identity="ann-desk")
    watched = Watched(browser)
    page = watched.page

    watched.sign_in(live_url, "ann")

    panel = page.locator("#browser-phone")
    expect(panel).to_have_attribute("data-enabled", "0")
    expect(panel.locator("#phone-problems li")).to_have_count(1)
    for name in TOKEN_ENV:
        expect(panel).to_contain_text(name)
    # the same words as the token API's 503
    answer = page.request.get(f"{live_url}/api/agents/me/twilio-token")
    assert answer.status == 503
    body = answer.json()
    assert body["error_id"] == "twilio-not-configured"
    assert body["details"]["missing"] == list(TOKEN_ENV)
    assert body["message"].lower() in _text(panel).lower()
    expect(page.locator('script[src*="twilio-voice"]')).to_have_count(0)
    expect(page.locator('script[src*="browser_phone"]')).to_have_count(0)
    assert watched.csp_violations() == [] and watched.broken == []


def test_missing_sdk_file_is_explained_not_loaded(
        services: Services, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert services.acd is not None
    services.acd.agents.add("ann", PASSWORD, queues=["support"], twilio_identity="ann-desk")
    monkeypatch.setattr(agent_page, "TWILIO_VOICE_SDK", "vendor/not-there.min.js")
    sign_in(client, "ann")

    page = client.get("/agent")

    assert page.status_code == 200
    assert 'data-enabled="0"' in page.text
    assert "vendor/not-there.min.js" in page.text and "bash scripts/setup.sh" in page.text
    assert "<script src=\"/static/vendor/" not in page.text
    assert "browser_phone.js" not in page.text


def test_csp_allows_twilio_for_connections_and_media_only(client: FlaskClient) -> None:
    policy = dict(part.strip().split(" ", 1)
                  for part in client.get("/login").headers["Content-Security-Policy"].split(";"))

    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["connect-src"] == "'self' https://*.twilio.com wss://*.twilio.com"
    assert policy["media-src"] == "'self' https://*.twilio.com https://sdk.twilio.com blob:"


def test_setup_script_pins_the_sdk_the_page_loads() -> None:
    setup = (PROJECT_ROOT / "scripts" / "setup.sh").read_text()

    assert f"TWILIO_VOICE_SDK_VERSION={TWILIO_VOICE_SDK_VERSION}\n" in setup
    assert f"vendor/twilio-voice-{TWILIO_VOICE_SDK_VERSION}.min.js" == TWILIO_VOICE_SDK
    assert 'twilio="$WEB_VENDOR_DIR/twilio-voice-$TWILIO_VOICE_SDK_VERSION.min.js"' in setup
    for script in ("start.sh", "test.sh"):
        assert "\nensure_web_vendor\n" in (PROJECT_ROOT / "scripts" / script).read_text()
