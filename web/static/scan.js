// The scan page waits for the person to scan the code with WeChat: a
// long-poll with fetch (same origin, the browser's binding cookie), asking
// again as soon as an answer comes. When the login is confirmed the answer
// has set the session cookie, and the page goes on to return_to.
(function () {
  var main = document.getElementById("wxgate-scan");
  var status = document.getElementById("wxgate-status");
  var restart = document.getElementById("wxgate-restart");
  var code = document.getElementById("wxgate-code");
  if (!main) { return; }
  var wait = main.getAttribute("data-wait");
  var texts = {
    scanned: "Scanned. Confirm the login on your phone.",
    cancelled: "The login was cancelled on the phone. Nobody was logged in.",
    expired: "This code has expired. Show a new code to try again.",
    confirmed: "Logged in. Continuing…"
  };
  var failures = 0;
  function stop(text) {
    status.textContent = text;
    code.classList.add("spent");
    restart.hidden = false;
  }
  function poll(seq) {
    var u = wait + (seq === null ? "" : "&seq=" + encodeURIComponent(seq));
    fetch(u, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (a) {
        failures = 0;
        var b = a.body;
        if (!a.ok) { stop(b.message || "The login failed. Show a new code to try again."); return; }
        if (b.status === "confirmed") {
          status.textContent = texts.confirmed;
          window.location.assign(b.return_to || "/");
          return;
        }
        if (b.status === "cancelled" || b.status === "expired") { stop(texts[b.status]); return; }
        if (texts[b.status]) { status.textContent = texts[b.status]; }
        poll(b.seq);
      })
      .catch(function () {
        failures++;
        if (failures > 5) { stop("The connection to the server was lost. Show a new code to try again."); return; }
        setTimeout(function () { poll(seq); }, 1000 * failures);
      });
  }
  poll(null);
})();
