/* Flow editor (/admin/flows/<id>): CodeMirror 5 over the YAML with lint markers from
 * POST /api/admin/flows/<id>/check (the CLI's "file:line: node: field: message" problems),
 * the graph drawn as SVG from the server's layout, save draft / publish / discard, and the
 * version list with per-node diff and rollback. Data from the server is written with
 * textContent and DOM calls only, never as HTML. window.FlowEditor is what
 * flow_simulator.js uses (the text on screen, the API, el and problemsOf). */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var SVG = "http://www.w3.org/2000/svg";
  var data = JSON.parse($("editor-data").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var state = { base: data.base_version, revision: data.revision, versions: data.versions,
                hasDraft: data.has_draft };
  var listeners = [];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function request(method, path, body) {
    var options = { method: method, credentials: "same-origin",
                    headers: { "Accept": "application/json", "X-CSRF-Token": csrf } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(data.api + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, ok: response.ok, body: json };
      });
    });
  }

  var cm = CodeMirror.fromTextArea($("flow-text"), {
    mode: "yaml", lineNumbers: true, styleActiveLine: true, indentUnit: 2, tabSize: 2,
    viewportMargin: Infinity, gutters: ["CodeMirror-lint-markers", "CodeMirror-linenumbers"],
    lint: { getAnnotations: lint, async: true, delay: 600 },
    extraKeys: { Tab: function (editor) { editor.replaceSelection("  "); } }
  });
  var clean = cm.changeGeneration();
  cm.getWrapperElement().setAttribute("aria-label", "Flow YAML");

  function goToLine(line) {
    if (!line) { return; }
    cm.focus();
    cm.setCursor({ line: line - 1, ch: 0 });
    cm.scrollIntoView({ line: line - 1, ch: 0 }, 80);
  }

  // -- checking ---------------------------------------------------------------------------
  function lint(text, update) {
    request("POST", "/check", { text: text }).then(function (result) {
      if (!result.ok) {
        showProblems([], [], result.body.message || "Check failed");
        update([]);
        return;
      }
      var body = result.body;
      showProblems(body.problems, body.elsewhere);
      if (body.graph) { drawGraph(body.graph); }
      $("graph-note").classList.toggle("stale", !body.graph);
      update(body.problems.map(function (p) {
        var line = Math.max((p.line || 1) - 1, 0);
        return { from: CodeMirror.Pos(line, 0), to: CodeMirror.Pos(line, cm.getLine(line) ?
                 cm.getLine(line).length : 0), message: p.text, severity: "error" };
      }));
      listeners.forEach(function (fn) { fn(body); });
    });
  }

  function showProblems(problems, elsewhere, failure) {
    var list = $("problems");
    list.replaceChildren();
    problems.forEach(function (p) {
      var item = el("li", { "data-line": p.line || "" });
      var jump = el("button", { type: "button", "class": "problem-link" }, p.text);
      jump.addEventListener("click", function () { goToLine(p.line); });
      item.append(jump);
      list.append(item);
    });
    $("problems-summary").textContent = failure ? failure : problems.length ?
      problems.length + " problem(s): publishing is refused until they are fixed" : "No problems";
    $("problems-summary").classList.toggle("error", problems.length > 0);
    var others = $("elsewhere");
    others.replaceChildren();
    (elsewhere || []).forEach(function (text) { others.append(el("li", {}, text)); });
    $("elsewhere-box").hidden = !(elsewhere || []).length;
  }

  // -- graph ------------------------------------------------------------------------------
  function drawGraph(graph) {
    var box = $("flow-graph");
    var root = svg("svg", { viewBox: "0 0 " + graph.width + " " + graph.height,
                            width: graph.width, height: graph.height, "class": "flow-svg",
                            role: "img", "aria-labelledby": "graph-svg-title" });
    root.append(svg("title", { id: "graph-svg-title" }, "Graph of flow " + graph.flow + ": " +
                    graph.nodes.length + " nodes, " + graph.edges.length + " transitions"));
    var defs = svg("defs");
    var marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5",
                                 markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
    marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", "class": "arrow-head" }));
    defs.append(marker);
    root.append(defs);
    graph.edges.forEach(function (e) {
      var g = svg("g", { "class": "edge" + (e.back ? " back" : ""), "data-source": e.source,
                         "data-target": e.target });
      g.append(svg("title", {}, e.source + " → " + e.target + " (" + e.label + ")"));
      g.append(svg("path", { d: e.d, "marker-end": "url(#arrow)" }));
      g.append(svg("text", { x: e.label_x, y: e.label_y, "text-anchor": "middle",
                             "dominant-baseline": "middle", "class": "edge-label" }, e.short));
      root.append(g);
    });
    graph.nodes.forEach(function (n) {
      var classes = ["node"];
      if (n.start) { classes.push("start"); }
      if (n.terminal) { classes.push("terminal"); }
      if (n.missing) { classes.push("missing"); }
      if (n.unreached) { classes.push("unreached"); }
      var g = svg("g", { "class": classes.join(" "), "data-node": n.id });
      g.append(svg("title", {}, n.missing ? n.id + ": no such node" : n.id + " (" + n.kind +
                   ")" + (n.line ? ", line " + n.line : "")));
      g.append(svg("rect", { x: n.x, y: n.y, width: n.w, height: n.h, rx: 8 }));
      g.append(svg("text", { x: n.x + n.w / 2, y: n.y + 19, "text-anchor": "middle",
                             "class": "node-id" }, n.id));
      g.append(svg("text", { x: n.x + n.w / 2, y: n.y + 36, "text-anchor": "middle",
                             "class": "node-kind" }, n.kind));
      if (n.line) { g.addEventListener("click", function () { goToLine(n.line); }); }
      root.append(g);
    });
    box.replaceChildren(root);
    var body = $("transitions").querySelector("tbody");
    body.replaceChildren();
    graph.edges.forEach(function (e) {
      var row = el("tr");
      row.append(el("td", { "class": "mono" }, e.source), el("td", {}, e.label),
                 el("td", { "class": "mono" }, e.target));
      body.append(row);
    });
  }

  // -- actions ----------------------------------------------------------------------------
  var retry = null;

  function say(text) {
    $("action-result").textContent = text;
    $("action-error").hidden = true;
  }

  function fail(text, again, label) {
    $("action-result").textContent = "";
    $("action-error-text").textContent = text;
    $("action-error").hidden = false;
    retry = again || null;
    $("btn-force").hidden = !again;
    $("btn-force").textContent = label || "Overwrite anyway";
  }

  function problemsOf(result) {
    var details = result.body.details || {};
    return details.problems || [];
  }

  function saveDraft(overwrite) {
    request("PUT", "/draft", { text: cm.getValue(), revision: state.revision,
                               base_version: state.base, overwrite: overwrite === true })
      .then(function (result) {
        if (result.ok) {
          var draft = result.body.draft;
          state.revision = draft.revision;
          state.hasDraft = true;
          clean = cm.changeGeneration();
          $("btn-discard").hidden = false;
          say("Draft saved (revision " + draft.revision + ")" + (result.body.problems.length ?
              " with " + result.body.problems.length + " problem(s) still to fix." : "."));
          $("editor-status").textContent = "Editing the draft (revision " + draft.revision +
            ", saved by " + draft.saved_by + ").";
        } else if (result.status === 409) {
          fail(result.body.message, function () { saveDraft(true); }, "Overwrite their draft");
        } else {
          fail(result.body.message || "Saving failed (HTTP " + result.status + ").");
        }
      });
  }

  function refused(problems) {
    fail("Not published: " + problems.length + " problem(s); the live version keeps " +
         "serving. " + problems.map(function (p) { return p.text; }).join(" · "));
    cm.performLint();
  }

  function publish(force) {
    // check first (the server refuses invalid text anyway), so a refusal is shown without
    // a failed request
    var text = cm.getValue();
    request("POST", "/check", { text: text }).then(function (checked) {
      if (checked.ok && checked.body.problems.length) { refused(checked.body.problems); return; }
      send(text, force);
    });
  }

  function send(text, force) {
    request("POST", "/publish", { text: text, base_version: state.base,
                                  force: force === true })
      .then(function (result) {
        if (result.ok) {
          var version = result.body.version;
          state.base = version.version;
          state.revision = null;
          state.hasDraft = false;
          clean = cm.changeGeneration();
          $("btn-discard").hidden = true;
          say(result.body.published ? "Published version " + version.version + " and wrote " +
              result.body.file + "." : "Nothing to publish: version " + version.version +
              " already has this text.");
          $("editor-status").textContent = "Editing live version " + version.version + ".";
          loadVersions();
        } else if (result.status === 422) {
          refused(problemsOf(result));
        } else if (result.status === 409) {
          fail(result.body.message, function () { publish(true); }, "Publish over it anyway");
        } else {
          fail(result.body.message || "Publishing failed (HTTP " + result.status + ").");
        }
      });
  }

  var discardArmed = false;
  function discard() {
    if (!discardArmed) {
      discardArmed = true;
      $("btn-discard").textContent = "Really discard the draft?";
      return;
    }
    request("DELETE", "/draft").then(function (result) {
      if (!result.ok) { fail(result.body.message || "Discarding failed."); return; }
      clean = cm.changeGeneration();
      window.location.reload();
    });
  }

  $("btn-check").addEventListener("click", function () { cm.performLint(); });
  $("btn-save").addEventListener("click", function () { saveDraft(false); });
  $("btn-publish").addEventListener("click", function () { publish(false); });
  $("btn-discard").addEventListener("click", discard);
  $("btn-force").addEventListener("click", function () { if (retry) { retry(); } });
  window.addEventListener("beforeunload", function (event) {
    if (!cm.isClean(clean)) { event.preventDefault(); event.returnValue = ""; }
  });

  // -- versions, diff, rollback -----------------------------------------------------------
  function loadVersions() {
    request("GET", "/versions").then(function (result) {
      if (!result.ok) { return; }
      state.versions = result.body.versions;
      state.hasDraft = !!result.body.draft;
      renderVersions();
    });
  }

  function radio(name, value, checked, label) {
    var input = el("input", { type: "radio", name: name, value: value,
                              "aria-label": label });
    input.checked = checked;
    return input;
  }

  function renderVersions() {
    var body = $("versions-body");
    body.replaceChildren();
    var list = state.versions.slice().reverse();
    var newest = list.length ? list[0].version : null;
    var previous = list.length > 1 ? list[1].version : newest;
    if (state.hasDraft) {
      var row = el("tr", { "data-version": "draft" });
      row.append(el("th", { scope: "row" }, "draft"), el("td", {}, "not published"),
                 el("td"), el("td"));
      var from = el("td"), to = el("td");
      from.append(radio("diff-from", "draft", false, "Compare from the draft"));
      to.append(radio("diff-to", "draft", !!newest, "Compare to the draft"));
      row.append(from, to, el("td"));
      body.append(row);
    }
    list.forEach(function (v) {
      var row = el("tr", { "data-version": v.version });
      var head = el("th", { scope: "row" }, "v" + v.version);
      if (v.live) { head.append(" ", el("span", { "class": "live-badge" }, "live")); }
      row.append(head, el("td", {}, v.published_at.replace("T", " ").slice(0, 16) + " UTC"),
                 el("td", {}, v.published_by), el("td", {}, v.note || ""));
      var from = el("td"), to = el("td"), back = el("td");
      from.append(radio("diff-from", v.version, state.hasDraft ? v.version === newest :
                        v.version === previous, "Compare from version " + v.version));
      to.append(radio("diff-to", v.version, !state.hasDraft && v.version === newest,
                      "Compare to version " + v.version));
      if (!v.live) {
        var button = el("button", { type: "button", "data-rollback": v.version },
                        "Roll back to v" + v.version);
        button.addEventListener("click", function () { rollback(v.version, button); });
        back.append(button);
      }
      row.append(from, to, back);
      body.append(row);
    });
  }

  function rollback(version, button) {
    if (button.getAttribute("data-armed") !== "1") {
      button.setAttribute("data-armed", "1");
      button.textContent = "Confirm roll back to v" + version;
      return;
    }
    request("POST", "/rollback", { to_version: version }).then(function (result) {
      if (!result.ok) { fail(result.body.message || "Rollback failed."); return; }
      var now = result.body.version.version;
      if (cm.isClean(clean) && !state.hasDraft) {
        cm.setValue(result.body.content);
        state.base = now;
        clean = cm.changeGeneration();
        say("Rolled back: version " + now + " has the text of version " + version +
            " (file written); the editor shows it.");
      } else {
        say("Rolled back: version " + now + " has the text of version " + version +
            ". Your text in the editor is kept; publishing it will ask before overwriting.");
      }
      loadVersions();
    });
  }

  function picked(name) {
    var input = document.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : null;
  }

  function showDiff() {
    var from = picked("diff-from"), to = picked("diff-to");
    if (!from || !to) { $("diff-status").textContent = "Pick two versions to compare."; return; }
    request("GET", "/diff?from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(to))
      .then(function (result) {
        var box = $("diff");
        box.replaceChildren();
        if (!result.ok) { $("diff-status").textContent = result.body.message; return; }
        var d = result.body;
        $("diff-status").textContent = d.identical ? d.old + " → " + d.new + ": no differences" :
          d.old + " → " + d.new + ": " + d.counts.added + " node(s) added, " + d.counts.removed +
          " removed, " + d.counts.changed + " changed";
        if (d.flow_fields.length) {
          box.append(changeBlock("Flow fields", "changed", null, d.flow_fields));
        }
        d.nodes.forEach(function (n) {
          box.append(changeBlock(n.node + (n.type ? " (" + n.type + ")" : ""), n.change,
                                 n.new_line || n.old_line, n.fields, n.node));
        });
      });
  }

  function changeBlock(title, change, line, fields, node) {
    var article = el("article", { "class": "diff-node", "data-change": change });
    if (node) { article.setAttribute("data-node", node); }
    var head = el("h3");
    head.append(el("span", { "class": "mono" }, title), " ",
                el("span", { "class": "change-badge", "data-change": change }, change));
    if (line) {
      var jump = el("button", { type: "button", "class": "problem-link small" }, "line " + line);
      jump.addEventListener("click", function () { goToLine(line); });
      head.append(" ", jump);
    }
    article.append(head);
    var table = el("table", { "class": "diff-fields small" });
    table.append(el("caption", { "class": "visually-hidden" }, "Fields of " + title));
    var headRow = el("tr");
    ["Field", "Change", "Before", "After"].forEach(function (h) {
      headRow.append(el("th", { scope: "col" }, h));
    });
    var thead = el("thead");
    thead.append(headRow);
    table.append(thead);
    var body = el("tbody");
    fields.forEach(function (f) {
      var row = el("tr", { "data-field": f.field, "data-change": f.change });
      row.append(el("th", { scope: "row", "class": "mono" }, f.field), el("td", {}, f.change),
                 el("td", { "class": "mono old" }, f.old === null ? "" : f.old),
                 el("td", { "class": "mono new" }, f.new === null ? "" : f.new));
      body.append(row);
    });
    table.append(body);
    article.append(table);
    return article;
  }

  $("btn-diff").addEventListener("click", showDiff);

  if (data.graph) { drawGraph(data.graph); }
  renderVersions();
  cm.performLint();

  window.FlowEditor = {
    text: function () { return cm.getValue(); },
    request: request,
    el: el,
    problemsOf: problemsOf,
    onChecked: function (fn) { listeners.push(fn); }
  };
}());
