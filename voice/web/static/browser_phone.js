/* Agent desktop (/agent): the browser phone, on Twilio's Voice JavaScript SDK (the global
 * Twilio.Device of static/vendor/twilio-voice-*.min.js, loaded just before this file).
 * The page loads both only when the server found the phone configured (data-enabled="1").
 * Fetches the agent's access token from GET /api/agents/me/twilio-token (session cookie; a GET
 * needs no CSRF token), registers the device so that the hand-off's <Client> rings here,
 * shows the status (registering, ready, offline with the reason), renews the token before it
 * expires and drives the call: Answer / Decline, then Mute / Hang up. The screen pop of the
 * call comes from agent.js (the call id is also the call's custom parameter "call").
 * Text is written with textContent only. window.voiceBrowserPhone = {device, state, call,
 * error} is the live state, for tests and for debugging in the console. */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var panel = $("browser-phone");
  var TOKEN_URL = "/api/agents/me/twilio-token";
  var LABELS = { starting: "Starting…", token: "Getting an access token…",
                 registering: "Registering with Twilio…", ready: "Ready: calls ring here",
                 incoming: "Ringing", "on-call": "On a call", offline: "Offline" };

  var phone = { device: null, state: "starting", call: null, error: null };
  window.voiceBrowserPhone = phone;

  function show(id, visible) { $(id).hidden = !visible; }

  function setState(state, detail) {
    phone.state = state;
    var status = $("phone-status");
    status.dataset.phoneState = state;
    status.textContent = LABELS[state] + (detail ? ": " + detail : "");
  }

  // plain words for the Twilio errors an agent is most likely to see
  var HINTS = { 31000: "the connection to Twilio dropped", 31005: "cannot reach Twilio",
                31009: "cannot reach Twilio", 20101: "Twilio refused the access token",
                31204: "Twilio refused the access token", 20104: "the access token expired",
                31205: "the access token expired", 31401: "no microphone access",
                31402: "no microphone found" };

  function describe(error) {
    if (!error) { return "unknown error"; }
    var message = error.message || error.description || String(error);
    if (error.code && message.indexOf(String(error.code)) === -1) {
      message += " (Twilio error " + error.code + ")";
    }
    return HINTS[error.code] ? HINTS[error.code] + " — " + message : message;
  }

  function fail(error) {
    var message = describe(error);
    phone.error = message;
    if (phone.call) {  // keep the call controls; say what went wrong next to them
      $("phone-error").textContent = message;
      show("phone-error", true);
    } else {
      setState("offline", message);
    }
  }

  function fetchToken() {
    return fetch(TOKEN_URL, { method: "GET", credentials: "same-origin",
                              headers: { "Accept": "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (payload) {
          if (response.status === 401) { throw new Error("You are signed out; sign in again."); }
          if (!response.ok || !payload.token) {
            throw new Error(payload.message || "the token request failed (HTTP " +
                            response.status + ")");
          }
          return payload;
        });
      });
  }

  function callerOf(call) {
    var from = call.parameters && call.parameters.From;
    if (from && from.indexOf("client:") === 0) { from = from.slice(7); }
    return from || "an unknown caller";
  }

  function callIdOf(call) {
    var params = call.customParameters;
    return params && typeof params.get === "function" ? params.get("call") || null : null;
  }

  function buttons(which) {
    ["phone-answer", "phone-decline", "phone-mute", "phone-hangup"].forEach(function (id) {
      show(id, which.indexOf(id) !== -1);
    });
  }

  function idle() {
    phone.call = null;
    buttons([]);
    show("phone-incoming", false);
    show("phone-error", false);
    $("phone-mute").setAttribute("aria-pressed", "false");
    var device = phone.device;
    if (device && device.state === "registered") {
      setState("ready");
    } else if (phone.error) {
      setState("offline", phone.error);
    } else {
      setState("offline", "not registered with Twilio");
    }
  }

  function incoming(call) {
    phone.call = call;
    phone.error = null;
    show("phone-error", false);
    var id = callIdOf(call);
    $("phone-incoming").textContent = "Incoming call from " + callerOf(call) +
      (id ? " (call " + id + ")" : "");
    show("phone-incoming", true);
    setState("incoming", callerOf(call));
    buttons(["phone-answer", "phone-decline"]);
    $("phone-answer").focus();
    call.on("accept", function () {
      show("phone-incoming", false);
      setState("on-call", callerOf(call));
      buttons(["phone-mute", "phone-hangup"]);
      $("phone-hangup").focus();
    });
    call.on("mute", function (muted) {
      $("phone-mute").setAttribute("aria-pressed", muted ? "true" : "false");
    });
    ["cancel", "disconnect", "reject"].forEach(function (name) {
      call.on(name, function () { if (phone.call === call) { idle(); } });
    });
    call.on("error", function (error) { fail(error); });
  }

  function onClick(id, action) {
    $(id).addEventListener("click", function () {
      if (!phone.call) { return; }
      try { action(phone.call); } catch (error) { fail(error); }
    });
  }

  onClick("phone-answer", function (call) { call.accept(); });
  onClick("phone-decline", function (call) { call.reject(); idle(); });
  onClick("phone-hangup", function (call) { call.disconnect(); });
  onClick("phone-mute", function (call) { call.mute(!call.isMuted()); });

  function start() {
    if (!window.Twilio || !window.Twilio.Device) {
      setState("offline", "the Twilio Voice SDK did not load");
      return;
    }
    setState("token");
    fetchToken().then(function (grant) {
      var device = new window.Twilio.Device(grant.token, {
        codecPreferences: ["opus", "pcmu"], closeProtection: true });
      phone.device = device;
      device.on("registering", function () { if (!phone.call) { setState("registering"); } });
      device.on("registered", function () {
        phone.error = null;
        if (!phone.call) { setState("ready"); }
      });
      device.on("unregistered", function () { if (!phone.call) { idle(); } });
      device.on("error", function (error) { fail(error); });
      device.on("incoming", incoming);
      device.on("tokenWillExpire", function () {
        fetchToken().then(function (renewed) { device.updateToken(renewed.token); })
          .catch(function (error) { fail(new Error("cannot renew the access token: " +
                                                   describe(error))); });
      });
      setState("registering");
      // Resolves once registered; while Twilio cannot be reached the device keeps retrying
      // and reports each failure through its "error" event (handled above).
      return device.register();
    }).catch(fail);
  }

  if (panel && panel.dataset.enabled === "1") { start(); }
}());
