/* Evaluation panel of the call page (templates/qa_evaluation_panel.html): QA picks a
 * scorecard, answers its questions, adds comments anchored at the player's current second
 * and saves through the evaluations API (/api/scorecards, /api/calls/<id>/evaluations,
 * /api/evaluations/<id>). The player sends "qa:time" events ({detail: {seconds}}); a
 * comment's time is a button that sends "qa:seek". The score preview follows the rules of
 * voice/evaluations/scoring.py; the server's score is the one saved. Data is written with
 * textContent only, never as HTML; changes carry the session's CSRF token. */
(function () {
  "use strict";

  var panel = document.getElementById("evaluation-panel");
  if (!panel) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var callId = panel.getAttribute("data-call-id");
  var callUrl = "/api/calls/" + encodeURIComponent(callId) + "/evaluations";

  var cards = [];          // active scorecards (current versions)
  var evaluations = [];    // this call's evaluations
  var me = null;           // the signed-in username
  var form = null;         // {cardId, sections, evaluationId, version}
  var comments = [];       // [{at_seconds, text, author?}]
  var playback = 0;        // the player's latest second

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = String(content); }
    return node;
  }

  var clock = window.VoiceApi.clock;

  function percent(score) {
    return score === null || score === undefined ? "no score (all N/A)" : score.toFixed(1) + "%";
  }

  function status(text) { $("eval-status").textContent = text; }

  var api = window.VoiceApi.request;

  function questions(sections) {
    var all = [];
    sections.forEach(function (section) { all = all.concat(section.questions); });
    return all;
  }

  /* -- existing evaluations ------------------------------------------------------------ */

  function renderExisting() {
    var list = $("eval-existing-list");
    list.replaceChildren();
    evaluations.forEach(function (evaluation) {
      var item = el("li", "eval-existing-item");
      item.setAttribute("data-evaluation-id", evaluation.id);
      item.appendChild(el("strong", null, percent(evaluation.score)));
      item.appendChild(document.createTextNode(" · " + evaluation.scorecard_name + " v" +
        evaluation.scorecard_version + " · by " + evaluation.evaluator + " · " +
        evaluation.comments.length + " comment" + (evaluation.comments.length === 1 ? "" : "s")));
      if (evaluation.editable) {
        var edit = el("button", "eval-link-button", "Edit");
        edit.type = "button";
        edit.setAttribute("aria-label", "Edit the evaluation by " + evaluation.evaluator +
                          " with " + evaluation.scorecard_name);
        edit.addEventListener("click", function () { openEvaluation(evaluation); });
        item.appendChild(document.createTextNode(" "));
        item.appendChild(edit);
      }
      list.appendChild(item);
    });
    $("eval-existing").hidden = evaluations.length === 0;
  }

  function mine(cardId) {
    return evaluations.filter(function (e) {
      return e.scorecard_id === cardId && e.evaluator === me;
    })[0] || null;
  }

  /* -- the form ------------------------------------------------------------------------ */

  function choices(question) {
    var values = [];
    if (question.kind === "yes_no") {
      values.push(["yes", "Yes"], ["no", "No"]);
    } else {
      for (var n = question.min; n <= question.max; n += 1) { values.push([String(n), String(n)]); }
    }
    if (question.allow_na) { values.push(["na", "N/A"]); }
    return values;
  }

  function renderQuestions(sections, answers) {
    var box = $("eval-questions");
    box.replaceChildren();
    sections.forEach(function (section) {
      box.appendChild(el("h3", "eval-section-title", section.title));
      section.questions.forEach(function (question) {
        var set = el("fieldset", "eval-q");
        set.setAttribute("data-key", question.key);
        var legend = el("legend", null, question.text);
        legend.appendChild(el("span", "small muted", " (weight " + question.weight + ")"));
        set.appendChild(legend);
        var row = el("div", "eval-choices");
        choices(question).forEach(function (choice) {
          var id = "answer-" + question.key + "-" + choice[0];
          var label = el("label", "eval-choice");
          var input = el("input");
          input.type = "radio";
          input.name = "answer-" + question.key;
          input.id = id;
          input.value = choice[0];
          var given = answers ? answers[question.key] : undefined;
          input.checked = given !== undefined && String(given) === choice[0];
          input.addEventListener("change", updateScore);
          label.appendChild(input);
          label.appendChild(document.createTextNode(" " + choice[1]));
          row.appendChild(label);
        });
        set.appendChild(row);
        box.appendChild(set);
      });
    });
  }

  function chosen(question) {
    var picked = panel.querySelector('input[name="answer-' + question.key + '"]:checked');
    if (!picked) { return undefined; }
    if (picked.value === "na" || question.kind === "yes_no") { return picked.value; }
    return Number(picked.value);
  }

  function updateScore() {
    if (!form) { return; }
    var total = 0, weights = 0, open = 0;
    questions(form.sections).forEach(function (question) {
      var answer = chosen(question);
      if (answer === undefined) { open += 1; return; }
      if (answer === "na") { return; }
      var value = question.kind === "yes_no" ? (answer === "yes" ? 1 : 0)
        : (answer - question.min) / (question.max - question.min);
      total += question.weight * value;
      weights += question.weight;
    });
    var text = weights ? (100 * total / weights).toFixed(1) + "%" : "–";
    if (open) { text += " (" + open + " question" + (open === 1 ? "" : "s") + " to answer)"; }
    $("eval-score").textContent = text;
  }

  function openForm(cardId, sections, evaluation) {
    form = { cardId: cardId, sections: sections, evaluationId: evaluation ? evaluation.id : null };
    comments = evaluation ? evaluation.comments.slice() : [];
    renderQuestions(sections, evaluation ? evaluation.answers : null);
    renderComments();
    updateScore();
    $("eval-problems").hidden = true;
    $("eval-form-note").textContent = evaluation
      ? "Editing the evaluation by " + evaluation.evaluator + " (" + evaluation.scorecard_name +
        " version " + evaluation.scorecard_version + ")."
      : "New evaluation.";
    $("eval-save").textContent = evaluation ? "Update evaluation" : "Save evaluation";
    $("eval-form").hidden = false;
  }

  function openEvaluation(evaluation) {
    $("eval-scorecard").value = String(evaluation.scorecard_id);
    openForm(evaluation.scorecard_id, evaluation.sections, evaluation);
    status("Editing the evaluation by " + evaluation.evaluator + ".");
  }

  function pickCard() {
    var id = Number($("eval-scorecard").value);
    if (!id) { $("eval-form").hidden = true; form = null; return; }
    var existing = mine(id);
    if (existing) { openEvaluation(existing); return; }
    var card = cards.filter(function (c) { return c.id === id; })[0];
    openForm(id, card.sections, null);
    status("Scoring with " + card.name + " (version " + card.version + ").");
  }

  /* -- comments ------------------------------------------------------------------------ */

  function renderComments() {
    var list = $("eval-comments");
    list.replaceChildren();
    comments.forEach(function (comment, index) {
      var item = el("li", "eval-comment");
      var seek = el("button", "eval-seek mono", clock(comment.at_seconds));
      seek.type = "button";
      seek.setAttribute("aria-label", "Play from " + clock(comment.at_seconds));
      seek.addEventListener("click", function () {
        document.dispatchEvent(new CustomEvent("qa:seek",
                                               { detail: { seconds: comment.at_seconds } }));
      });
      item.appendChild(seek);
      item.appendChild(el("span", "eval-comment-text", comment.text));
      if (comment.author) { item.appendChild(el("span", "small muted", " — " + comment.author)); }
      var remove = el("button", "eval-link-button", "Remove");
      remove.type = "button";
      remove.setAttribute("aria-label", "Remove the comment at " + clock(comment.at_seconds));
      remove.addEventListener("click", function () {
        comments.splice(index, 1);
        renderComments();
        status("Comment removed; save to keep the change.");
      });
      item.appendChild(remove);
      list.appendChild(item);
    });
  }

  function addComment() {
    var box = $("eval-comment-text");
    var text = box.value.trim();
    if (!text) { status("Write the comment first."); box.focus(); return; }
    var at = Math.round(playback * 10) / 10;
    comments.push({ at_seconds: at, text: text });
    comments.sort(function (a, b) { return a.at_seconds - b.at_seconds; });
    box.value = "";
    renderComments();
    status("Comment added at " + clock(at) + "; save to keep it.");
  }

  function showTime(seconds) {
    if (typeof seconds !== "number" || !isFinite(seconds) || seconds < 0) { return; }
    playback = seconds;
    $("eval-add-comment").textContent = "Add comment at " + clock(seconds);
  }

  /* -- saving -------------------------------------------------------------------------- */

  function showProblems(error) {
    var box = $("eval-problems");
    box.replaceChildren();
    box.appendChild(el("p", null, "Not saved: " + error.message));
    var problems = error.payload && error.payload.details && error.payload.details.problems;
    if (problems && problems.length) {
      var list = el("ul");
      problems.forEach(function (p) { list.appendChild(el("li", null, p)); });
      box.replaceChildren(el("p", null, "Not saved:"), list);
    }
    box.hidden = false;
  }

  function save(event) {
    event.preventDefault();
    if (!form) { return; }
    var answers = {};
    var missing = [];
    questions(form.sections).forEach(function (question) {
      var answer = chosen(question);
      if (answer !== undefined) { answers[question.key] = answer; } else { missing.push(question); }
    });
    if (missing.length) {
      showProblems({ message: "", payload: { details: { problems: [
        "Answer every question (N/A where it is offered)."].concat(
        missing.map(function (q) { return "Not answered: " + q.text; })) } } });
      status("Not saved: " + missing.length + " question" + (missing.length === 1 ? " is" : "s are") +
             " not answered.");
      var first = panel.querySelector('fieldset[data-key="' + missing[0].key + '"] input');
      if (first) { first.focus(); }
      return;
    }
    var body = { answers: answers, comments: comments };
    var request = form.evaluationId
      ? api("PUT", "/api/evaluations/" + form.evaluationId, body)
      : api("POST", callUrl, Object.assign({ scorecard_id: form.cardId }, body));
    $("eval-save").disabled = true;
    status("Saving…");
    request.then(function (saved) {
      return api("GET", callUrl).then(function (data) {
        evaluations = data.evaluations;
        renderExisting();
        var fresh = evaluations.filter(function (e) { return e.id === saved.id; })[0];
        if (fresh) { openForm(fresh.scorecard_id, fresh.sections, fresh); }
        status("Saved: " + percent(saved.score) + " (" + saved.scorecard_name + " version " +
               saved.scorecard_version + ").");
      });
    }).catch(function (error) {
      showProblems(error);
      status("Not saved: " + error.message);
    }).then(function () { $("eval-save").disabled = false; });
  }

  /* -- start --------------------------------------------------------------------------- */

  document.addEventListener("qa:time", function (event) {
    showTime(event.detail && event.detail.seconds);
  });
  $("eval-add-comment").addEventListener("click", addComment);
  $("eval-scorecard").addEventListener("change", pickCard);
  $("eval-form").addEventListener("submit", save);

  Promise.all([api("GET", "/api/scorecards"), api("GET", callUrl)]).then(function (results) {
    cards = results[0];
    evaluations = results[1].evaluations;
    me = results[1].me;
    var select = $("eval-scorecard");
    cards.forEach(function (card) {
      var option = el("option", null, card.name);
      option.value = String(card.id);
      select.appendChild(option);
    });
    renderExisting();
    $("eval-pick").hidden = false;
    status(cards.length ? "Choose a scorecard to score this call."
      : "No active scorecard yet: an admin makes one at /admin/scorecards.");
  }).catch(function (error) { status("Could not load scorecards: " + error.message); });
}());
