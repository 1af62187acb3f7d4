/* What the staff pages' scripts share (agent desktop, QA call page, evaluation panel,
 * wallboard): window.VoiceApi.
 * clock(seconds) writes a length as m:ss, or h:mm:ss from an hour (whole seconds, rounded
 * down). request(method, url, body) sends the session cookie, the page's CSRF token (meta
 * csrf-token) on every change and JSON bodies; resolves with the JSON answer, rejects with an
 * Error whose message is the server's and whose .payload is its JSON body. A 401 (signed out)
 * goes to the login page and back. */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.content : "";

  function toLogin() {
    window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
  }

  function request(method, url, body) {
    var options = { method: method, credentials: "same-origin",
                    headers: { "Accept": "application/json" } };
    if (method !== "GET") { options.headers["X-CSRF-Token"] = csrf; }
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 401) { toLogin(); throw new Error("You are signed out."); }
      return response.json().catch(function () { return {}; }).then(function (payload) {
        if (!response.ok) {
          var error = new Error(payload.message || "HTTP " + response.status);
          error.payload = payload;
          throw error;
        }
        return payload;
      });
    });
  }

  function clock(seconds) {
    var total = Math.max(0, Math.floor(seconds || 0));
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var ss = String(s).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + ss : m + ":" + ss;
  }

  window.VoiceApi = { request: request, toLogin: toLogin, clock: clock };
}());
