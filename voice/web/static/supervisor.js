/* Supervisor wallboard (/supervisor): renders the board embedded in the page, then follows
 * /api/supervisor/events (Server-Sent Events, a "wallboard" event on every change) and
 * re-renders. Times in state and the longest wait tick locally between events (the server
 * sends an event only when something happened). A stream the server closes is opened again;
 * only a signed-out session goes to the login page (static/staff_api.js). Data is written
 * with textContent only, never as HTML. */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var LABELS = { offline: "Offline", available: "Available", away: "Away", reserved: "Ringing",
                 on_call: "On call", wrap_up: "Wrap-up" };
  var STATES = ["available", "reserved", "on_call", "wrap_up", "away", "offline"];
  var board = JSON.parse($("wallboard-data").textContent);
  var skew = Date.parse(board.now) - Date.now();

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function duration(seconds) {
    return seconds === null || seconds === undefined ? "–"
      : window.VoiceApi.clock(Math.round(seconds));
  }

  function pct(value) { return value === null || value === undefined ? "–" : value + "%"; }

  function figure(list, id, label, value, since) {
    var wrap = el("div", { "class": "figure" });
    var attrs = { id: id };
    if (since) { attrs["data-since"] = since; } // counts up locally, as times in state do
    wrap.append(el("dt", {}, label), el("dd", attrs, value));
    list.append(wrap);
  }

  function secondsBefore(iso, seconds) {
    return new Date(Date.parse(iso) - seconds * 1000).toISOString();
  }

  function renderQueue(q) {
    var key = "q-" + q.name.replace(/[^A-Za-z0-9_-]/g, "_");
    var section = el("section", { "class": "card queue", id: key,
                                  "aria-labelledby": key + "-title" });
    section.append(el("h2", { id: key + "-title" }, q.name));
    if (q.description) { section.append(el("p", { "class": "muted" }, q.description)); }
    var t = q.today, live = q.live;
    var figures = el("dl", { "class": "figures" });
    figure(figures, key + "-waiting", "Callers waiting", live.waiting);
    var longest = live.longest_wait_seconds;
    figure(figures, key + "-longest", "Longest wait", duration(longest),
           live.waiting && longest !== null && longest !== undefined
             ? secondsBefore(board.now, longest) : null);
    figure(figures, key + "-sl", "Service level (≤ " + t.service_level_threshold + " s)",
           pct(t.service_level_pct));
    figure(figures, key + "-asa", "Average speed of answer", duration(t.asa_seconds));
    figure(figures, key + "-abandoned", "Abandoned", pct(t.abandonment_rate_pct));
    figure(figures, key + "-aht", "Average handle time", duration(t.aht_seconds));
    figure(figures, key + "-handled", "Calls handled", t.handled);
    figure(figures, key + "-offered", "Calls offered", t.offered);
    section.append(figures);

    section.append(el("h3", { id: key + "-states-title" }, "Agents by state"));
    var counts = el("ul", { "class": "state-counts", "aria-labelledby": key + "-states-title" });
    STATES.forEach(function (state) {
      var item = el("li", { "data-state": state });
      item.append(el("span", { "class": "state", "data-state": state }, LABELS[state]), " ",
                  el("span", { "data-count": state }, live.agents[state] || 0));
      counts.append(item);
    });
    section.append(counts);

    var table = el("table", { "class": "agents" });
    table.append(el("caption", {}, "Agents of " + q.name));
    var head = el("tr");
    ["Agent", "State", "Time in state"].forEach(function (h) {
      head.append(el("th", { scope: "col" }, h));
    });
    var thead = el("thead");
    thead.append(head);
    table.append(thead);
    var body = el("tbody");
    q.agents.forEach(function (a) {
      var row = el("tr", { "data-agent": a.name });
      row.append(el("th", { scope: "row" }, a.name));
      var state = el("td");
      state.append(el("span", { "class": "state", "data-state": a.state },
                      (LABELS[a.state] || a.state) + (a.reason ? " (" + a.reason + ")" : "")));
      row.append(state, el("td", { "class": "since", "data-since": a.since },
                           duration(a.seconds_in_state)));
      body.append(row);
    });
    if (!q.agents.length) {
      var none = el("tr");
      none.append(el("td", { colspan: "3", "class": "muted" }, "No agents answer this queue."));
      body.append(none);
    }
    table.append(body);
    section.append(table);
    return section;
  }

  function render() {
    var container = $("wallboard");
    var sections = board.queues.map(renderQueue);
    if (!sections.length) {
      sections = [el("p", { "class": "muted" }, "No queues are configured yet.")];
    }
    container.replaceChildren.apply(container, sections);
    $("updated").textContent = new Date(Date.parse(board.now)).toLocaleTimeString();
    $("updated").setAttribute("datetime", board.now);
  }

  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll("#wallboard [data-since]").forEach(function (cell) {
      cell.textContent = duration((now - Date.parse(cell.dataset.since)) / 1000);
    });
  }

  function connect() {
    var events = new EventSource("/api/supervisor/events");
    events.onopen = function () { $("connection").textContent = "connected"; };
    events.addEventListener("wallboard", function (e) {
      board = JSON.parse(e.data);
      skew = Date.parse(board.now) - Date.now();
      render();
    });
    events.onerror = function () {
      $("connection").textContent = "reconnecting";
      if (events.readyState === EventSource.CLOSED) {
        // HTTP errors close the stream for good: signed out (-> login) or a server problem
        // (a restart, a proxy's 502): ask, then open it again
        window.VoiceApi.request("GET", "/api/supervisor/wallboard")
          .then(function () { window.setTimeout(connect, 3000); })
          .catch(function () { window.setTimeout(connect, 10000); });
      }
    };
  }

  render();
  connect();
  window.setInterval(tick, 1000);
}());
