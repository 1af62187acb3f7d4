/* Agent desktop (/agent): live state and screen pop over Server-Sent Events, state buttons,
 * caller history and the disposition form. Talks only to the agent API (/api/agents/me...,
 * /api/calls/<id>/disposition); every change sends the session's CSRF token in the
 * X-CSRF-Token header (static/staff_api.js). Data is written with textContent only, never as HTML. */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var data = JSON.parse($("agent-data").textContent);
  var skew = Date.parse(data.server_now) - Date.now();
  var LABELS = { offline: "Offline", available: "Available", away: "Away", reserved: "Ringing",
                 on_call: "On call", wrap_up: "Wrap-up" };
  var METHODS = { account_pin: "account number + PIN", ani: "caller ID",
                  knowledge: "security questions" };
  var ENDED_STATES = ["wrap_up", "available", "away", "offline"];
  var BUSY_STATES = ["reserved", "on_call", "wrap_up"];

  var state = data.state;
  var call = data.call;
  var callLive = data.call_live;
  var disposed = data.disposition && data.call
    ? { callId: data.call.call_id, disposition: data.disposition.disposition } : null;
  var events = null;

  function now() { return Date.now() + skew; }

  var api = window.VoiceApi.request;

  var duration = window.VoiceApi.clock;

  function clock(iso) {
    var when = new Date(iso);
    return isNaN(when) ? "" : when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit",
                                                            second: "2-digit" });
  }

  function show(id, visible) { $(id).hidden = !visible; }

  function text(id, value) {
    $(id).textContent = value === null || value === undefined || value === "" ? "—" : String(value);
  }

  function mask(value) {
    if (!value) { return null; }
    var s = String(value);
    return s.length <= 4 ? s : "****" + s.slice(-4);
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = String(content); }
    return node;
  }

  /* -- state ------------------------------------------------------------------------- */
  function renderState() {
    var label = $("agent-state");
    label.textContent = LABELS[state.state] || state.state;
    label.dataset.state = state.state;
    $("state-reason").textContent = state.reason ? "(" + state.reason + ")" : "";
    document.querySelectorAll("[data-set-state]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.setState === state.state));
    });
    show("wrap-up", state.state === "wrap_up" && Boolean(state.wrap_up_until));
    tick();
  }

  function tick() {
    if (state.since) { $("state-timer").textContent = duration((now() - Date.parse(state.since)) / 1000); }
    if (state.state === "wrap_up" && state.wrap_up_until) {
      $("wrap-up-left").textContent = duration((Date.parse(state.wrap_up_until) - now()) / 1000);
    }
  }

  function chooseState(target) {
    var body = { state: target, reason: target === "away" ? $("away-reason").value : null };
    api("POST", "/api/agents/me/state", body).then(function (view) {
      state = { state: view.state, reason: view.state_reason, since: view.state_since,
                call_id: view.call_id, wrap_up_until: view.wrap_up_until };
      showAfterCall(view.after_call, body.reason);
      show("state-error", false);
      renderState();
    }).catch(function (error) {
      $("state-error").textContent = "Could not change your status: " + error.message;
      show("state-error", true);
    });
  }

  function showAfterCall(chosen, reason) {
    var after = $("state-after");
    after.textContent = chosen ? "After this call: " + (LABELS[chosen] || chosen) +
      (chosen === "away" && reason ? " (" + reason + ")" : "") : "";
    after.hidden = !chosen;
  }

  /* -- screen pop -------------------------------------------------------------------- */
  function renderAuth(auth) {
    var badge = $("pop-auth");
    var verified = Boolean(auth && auth.verified);
    badge.textContent = verified ? "VERIFIED" : "NOT VERIFIED";
    badge.dataset.verified = String(verified);
    var method = auth && auth.method ? METHODS[auth.method] || auth.method : null;
    var detail;
    if (verified) {
      detail = "by " + (method || "unknown method") +
        (auth.level !== null && auth.level !== undefined ? ", level " + auth.level : "");
    } else if (!auth || auth.outcome === "not-attempted") {
      detail = "caller did not try to verify";
    } else {
      detail = (auth.outcome || "failed") + (method ? " (" + method + ")" : "");
    }
    $("pop-auth-detail").textContent = detail;
    text("pop-customer", auth && auth.customer_name);
    text("pop-account", auth && mask(auth.account));
  }

  function renderPath(steps) {
    var list = $("pop-path");
    list.replaceChildren();
    (steps || []).forEach(function (step) {
      var item = el("li");
      var when = el("time", "at", clock(step.at));
      when.setAttribute("datetime", step.at || "");
      item.append(when, " ", el("span", "node", step.node), " ",
                  el("span", "muted", "(" + step.type + ")"));
      if (step.outcome) { item.append(" → ", el("span", "outcome", step.outcome)); }
      if (step.input) { item.append(" · input ", el("span", "input mono", step.input)); }
      list.append(item);
    });
  }

  function renderInputs(inputs) {
    var list = $("pop-inputs");
    list.replaceChildren();
    var names = Object.keys(inputs || {});
    names.forEach(function (name) { list.append(el("dt", null, name), el("dd", "mono", inputs[name])); });
    show("pop-no-inputs", names.length === 0);
  }

  function renderCall() {
    show("pop-empty", !call);
    show("pop-body", Boolean(call));
    var fields = $("disposition-fields");
    if (!call) {
      $("pop-title").textContent = "No call";
      fields.disabled = true;
      return;
    }
    var title = "Last call";
    if (callLive) { title = state.state === "reserved" ? "Incoming call" : "Current call"; }
    else if (state.state === "wrap_up") { title = "Call ended: wrap-up"; }
    $("pop-title").textContent = title;
    text("pop-from", call.from);
    renderAuth(call.authentication);
    text("pop-queue", call.queue && call.queue.name);
    text("pop-wait", call.queue ? duration(call.queue.wait_seconds) : null);
    text("pop-to", call.to);
    text("pop-channel", call.channel);
    text("pop-flow", call.flow_id);
    text("pop-call-id", call.call_id);
    renderPath(call.ivr_path);
    renderInputs(call.inputs);
    fields.disabled = false;
    $("disposition-call").textContent = "Call from " + (call.from || "unknown") +
      (callLive ? " (in progress)" : "");
  }

  function showCall(payload, live) {
    var isNew = !call || call.call_id !== payload.call_id;
    call = payload;
    callLive = live;
    if (isNew) {
      $("disposition-form").reset();
      $("disposition-status").textContent = "";
      disposed = null;
      loadHistory(payload.call_id);
    }
    renderCall();
  }

  /* -- history ----------------------------------------------------------------------- */
  function loadHistory(callId) {
    api("GET", "/api/agents/me/history?call_id=" + encodeURIComponent(callId)).then(function (calls) {
      if (!call || call.call_id !== callId) { return; }
      var list = $("history");
      list.replaceChildren();
      calls.forEach(function (earlier) {
        var item = el("li");
        var when = el("time", null, new Date(earlier.started_at).toLocaleString());
        when.setAttribute("datetime", earlier.started_at);
        item.append(when, " ", el("span", "muted", earlier.channel + (earlier.outcome ? ", " + earlier.outcome : "")));
        var notes = el("ul", "notes");
        earlier.dispositions.forEach(function (d) {
          var note = el("li");
          note.append(el("strong", null, d.disposition), d.note ? ": " + d.note : "");
          notes.append(note);
        });
        if (earlier.dispositions.length) { item.append(notes); }
        list.append(item);
      });
      show("history-empty", calls.length === 0);
    }).catch(function (error) {
      $("history-empty").textContent = "Could not load earlier calls: " + error.message;
      show("history-empty", true);
    });
  }

  /* -- disposition ------------------------------------------------------------------- */
  function saveDisposition(event) {
    event.preventDefault();
    if (!call) { return; }
    var status = $("disposition-status");
    var choice = $("disposition");
    if (!choice.value) { status.textContent = "Choose a disposition first."; choice.focus(); return; }
    var target = call;
    var label = choice.options[choice.selectedIndex].text;
    $("disposition-save").disabled = true;
    api("POST", "/api/calls/" + encodeURIComponent(target.call_id) + "/disposition",
        { disposition: choice.value, note: $("note").value }).then(function () {
      disposed = { callId: target.call_id, disposition: choice.value };
      status.className = "saved";
      status.textContent = "Saved: " + label + " for the call from " + (target.from || "unknown") + ".";
    }).catch(function (error) {
      status.className = "error";
      status.textContent = "Not saved: " + error.message;
    }).finally(function () { $("disposition-save").disabled = false; });
  }

  /* -- live stream ------------------------------------------------------------------- */
  function connect() {
    events = new EventSource("/api/agents/me/events");
    events.addEventListener("open", function () { $("connection").textContent = "connected"; });
    events.addEventListener("state", function (event) {
      state = JSON.parse(event.data);
      if (callLive && !state.call_id && ENDED_STATES.indexOf(state.state) >= 0) { callLive = false; }
      if (BUSY_STATES.indexOf(state.state) < 0) { showAfterCall(null); }
      renderState();
      renderCall();
    });
    events.addEventListener("call", function (event) {
      var message = JSON.parse(event.data);
      showCall(message.payload, true);
    });
    events.addEventListener("error", function () {
      $("connection").textContent = "reconnecting…";
      if (events.readyState === EventSource.CLOSED) {
        // HTTP errors close the stream for good: signed out (-> login) or a server problem
        api("GET", "/api/agents/me").then(function () { window.setTimeout(connect, 3000); })
          .catch(function () { window.setTimeout(connect, 10000); });
      }
    });
  }

  document.querySelectorAll("[data-set-state]").forEach(function (button) {
    button.addEventListener("click", function () { chooseState(button.dataset.setState); });
  });
  $("disposition-form").addEventListener("submit", saveDisposition);
  renderState();
  renderCall();
  showAfterCall(data.after_call, null);
  if (call) { loadHistory(call.call_id); }
  if (disposed) {
    $("disposition-status").className = "saved";
    $("disposition-status").textContent = "Saved earlier: " + disposed.disposition + ".";
  }
  window.setInterval(tick, 1000);
  connect();
})();
