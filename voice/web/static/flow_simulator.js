/* Simulate panel of the flow editor: a keypad, a speech box and caller actions. It keeps the
 * caller's inputs so far (in this page only) and sends them all, with the text in the
 * editor, to POST /api/admin/flows/<id>/simulate, which replays the call from the start and
 * answers the dialogue, the IVR path and what the flow waits for. Keys typed during a
 * sensitive prompt show as dots; the dialogue the server sends has them masked already.
 * Everything is written with textContent. Needs flow_editor.js (window.FlowEditor). */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var editor = window.FlowEditor;
  var inputs = [];
  var entry = "";
  var waiting = null;
  var latest = 0;
  var LABELS = { ivr: "IVR", caller: "Caller", system: "" };
  var WAITS = { input: "keys or speech", queue: "an agent (or keys)", transfer: "the transfer",
                lookup: "a lookup", verify: "verification", record: "a recording" };

  var el = editor.el;

  function showEntry() {
    var sensitive = waiting && waiting.sensitive;
    $("sim-entry").textContent = sensitive ? entry.replace(/./g, "•") : entry;
  }

  function error(text) {
    $("sim-error").textContent = text || "";
    $("sim-error").hidden = !text;
  }

  function enable() {
    var kind = waiting ? waiting["for"] : null;
    var keys = kind === "input" || kind === "queue";
    document.querySelectorAll(".keypad .key").forEach(function (b) { b.disabled = !keys; });
    $("sim-send").disabled = !keys;
    $("sim-timeout").disabled = kind !== "input" && kind !== "queue";
    $("sim-agent").disabled = kind !== "queue";
    $("sim-busy").disabled = kind !== "transfer";
    $("sim-hangup").disabled = !waiting;
    $("sim-speech").disabled = kind !== "input";
    $("sim-speech-form").querySelector("button").disabled = kind !== "input";
  }

  function render(result) {
    var dialogue = $("sim-dialogue");
    dialogue.replaceChildren();
    result.dialogue.forEach(function (line) {
      var item = el("li", { "class": "line", "data-speaker": line.speaker });
      if (LABELS[line.speaker]) {
        item.append(el("span", { "class": "speaker" }, LABELS[line.speaker] + ": "));
      }
      item.append(el("span", { "class": "said" }, line.text));
      dialogue.append(item);
    });
    var path = $("sim-path");
    path.replaceChildren();
    result.path.forEach(function (step) {
      var item = el("li", { "data-node": step.node });
      item.append(el("span", { "class": "node" }, step.node));
      item.append(" ", el("span", { "class": "muted" }, "(" + step.type +
                  (step.flow && step.flow !== result.flow ? " in " + step.flow : "") + ")"));
      if (step.outcome) { item.append(" → ", el("span", { "class": "outcome" }, step.outcome)); }
      if (step.input && step.input !== step.outcome) {
        item.append(" ", el("span", { "class": "mono muted" }, step.input));
      }
      path.append(item);
    });
    waiting = result.waiting;
    if (waiting) {
      $("sim-waiting").textContent = (WAITS[waiting["for"]] || waiting["for"]) + " at " +
        waiting.node + (waiting.type ? " (" + waiting.type + ")" : "") +
        (waiting.sensitive ? ", sensitive: keys are masked" : "");
      $("sim-final").textContent = "";
    } else {
      var f = result.final || {};
      $("sim-waiting").textContent = "nothing: the call is over";
      $("sim-final").textContent = "Call ended: " + (f.type || "?") +
        (f.queue ? " in queue " + f.queue : "") + (f.to ? " to " + f.to : "") +
        (f.reason ? " (" + f.reason + ")" : "") +
        (result.inputs_left ? "; " + result.inputs_left + " input(s) not used" : "");
    }
    showEntry();
    enable();
  }

  function run() {
    var mine = ++latest;
    editor.request("POST", "/simulate", {
      text: editor.text(), inputs: inputs.slice(), at: $("sim-at").value.trim(),
      customer: $("sim-customer").value, lookups: $("sim-lookups").value
    }).then(function (result) {
      if (mine !== latest) { return; }  // an answer to an older run came in late
      if (result.ok) { error(""); render(result.body); return; }
      var problems = editor.problemsOf(result);
      error(problems.length ? "The flow cannot run until its problems are fixed: " +
            problems.map(function (p) { return p.text; }).join(" · ") :
            (result.body.message || "Simulation failed (HTTP " + result.status + ")."));
    });
  }

  function send(token) {
    inputs.push(token);
    entry = "";
    showEntry();
    run();
  }

  function press(key) {
    entry += key;
    showEntry();
    var single = waiting && (waiting.type === "menu" || waiting["for"] === "queue");
    if (key === "#" || (single && entry.length === 1)) { send(entry); }
  }

  document.querySelectorAll(".keypad .key").forEach(function (button) {
    button.addEventListener("click", function () { press(button.getAttribute("data-key")); });
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!$("simulator").contains(target) || target.tagName === "INPUT" ||
        target.tagName === "TEXTAREA" || target.tagName === "SELECT") { return; }
    if (/^[0-9*#]$/.test(event.key) && waiting) { event.preventDefault(); press(event.key); }
  });
  $("sim-send").addEventListener("click", function () { if (entry) { send(entry); } });
  $("sim-clear").addEventListener("click", function () { entry = ""; showEntry(); });
  $("sim-timeout").addEventListener("click", function () { send("timeout"); });
  $("sim-agent").addEventListener("click", function () { send("agent"); });
  $("sim-busy").addEventListener("click", function () { send("busy"); });
  $("sim-hangup").addEventListener("click", function () { send("hangup"); });
  $("sim-restart").addEventListener("click", function () { inputs = []; entry = ""; run(); });
  $("sim-speech-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var words = $("sim-speech").value.trim();
    if (!words) { return; }
    $("sim-speech").value = "";
    send("say:" + words);
  });
  ["sim-customer", "sim-at", "sim-lookups"].forEach(function (id) {
    $(id).addEventListener("change", function () { inputs = []; entry = ""; run(); });
  });
  editor.onChecked(function (check) { if (check.ok) { run(); } });
  enable();
}());
