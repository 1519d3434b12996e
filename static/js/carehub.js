// CareHub: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // htmx requests carry the CSRF token from the <meta> tag.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  });

  // A request htmx made answered 503 (the database was briefly gone, carehub/errors.py): htmx swaps
  // nothing for an error, so say it on the page. Nothing was saved; what was typed is still there.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status !== 503) { return; }
    var message;
    try { message = (JSON.parse(xhr.responseText).errors || [])[0]; } catch (e) { message = null; }
    if (!message) { return; }
    var main = document.getElementById("main");
    var notice = document.getElementById("service-unavailable");
    if (!notice && main) {
      notice = document.createElement("p");
      notice.id = "service-unavailable";
      notice.className = "message message--error";
      notice.setAttribute("role", "alert");
      main.insertBefore(notice, main.firstChild);
    }
    if (notice) { notice.textContent = message; }
  });

  // Idle timeout: warn a minute before the server ends the session, then go
  // to the sign-in page, or to the lock screen where the session locks instead.
  // The server is the authority; this only informs.
  var body = document.body;
  var timeout = parseInt(body.dataset.idleTimeout || "0", 10);
  if (!timeout) { return; }
  var warningBefore = parseInt(body.dataset.idleWarning || "60", 10);
  var warning = document.getElementById("idle-warning");
  var warnTimer, endTimer;

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    if (warning) { warning.hidden = true; }
    warnTimer = setTimeout(function () {
      if (warning) {
        warning.hidden = false;
        var button = document.getElementById("idle-keepalive");
        if (button) { button.focus(); }
      }
    }, Math.max(0, timeout - warningBefore) * 1000);
    endTimer = setTimeout(function () {
      if (body.dataset.lockUrl) {
        // Shared tablet: hide the page at once, then go to the lock screen (the server locks
        // the session there), replacing this page in the history so that Back shows nothing.
        document.documentElement.hidden = true;
        window.location.replace(body.dataset.lockUrl + "?next=" +
          encodeURIComponent(window.location.pathname + window.location.search));
        return;
      }
      // Reloading lets the server end the session and show why.
      window.location.reload();
    }, (timeout + 2) * 1000);
  }

  if (warning) {
    warning.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(body.dataset.keepaliveUrl, {
        method: "POST",
        headers: {
          "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content,
          "Accept": "application/json"
        },
        credentials: "same-origin"
      }).then(function (response) {
        if (response.ok) { schedule(); } else { window.location.reload(); }
      });
    });
  }
  // Any server round trip made by htmx counts as activity on the server too.
  document.addEventListener("htmx:afterRequest", schedule);
  schedule();
})();
