// The demo's stand-in for the mini-program's scan-login page. The phone
// simulator opens it with page, scene and code (what wx.login gave the
// page) in the #fragment, which never reaches a server. It reports the
// scan to the gateway, shows the person where the login will happen, and
// confirms or cancels, as a mini-program page would with wx.request.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var params = new URLSearchParams(window.location.hash.slice(1));
  history.replaceState(null, "", window.location.pathname); // drop the code from the address bar
  var scene = params.get("scene") || "";
  var code = params.get("code") || "";
  var token = "";
  function post(path, body) {
    return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "omit" })
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) { throw new Error(b.message || r.statusText); } return b; }); });
  }
  function status(t) { $("mp-status").textContent = t; }
  if (!scene || !code) { status("打开方式不对 · Open this page by scanning a code in the phone simulator."); return; }
  post("/auth/miniprogram/scan", { code: code, scene: scene }).then(function (p) {
    token = p.confirm_token;
    $("mp-site").textContent = p.site;
    $("mp-browser").textContent = p.browser;
    $("mp-network").textContent = p.network;
    $("mp-started").textContent = new Date(p.started_at).toLocaleString();
    $("mp-prompt").hidden = false;
    $("mp-warning").hidden = false;
    $("mp-buttons").hidden = false;
    status("你正在登录以下网站 · You are logging in to:");
  }).catch(function (e) { status(e.message); });
  function decide(what) {
    $("mp-buttons").hidden = true;
    post("/auth/miniprogram/scan/" + what, { scene: scene, confirm_token: token }).then(function () {
      status(what === "confirm" ? "已确认，请回到电脑 · Confirmed: go back to the browser." : "已取消 · Cancelled: nobody was logged in.");
    }).catch(function (e) { status(e.message); });
  }
  $("mp-confirm").addEventListener("click", function () { decide("confirm"); });
  $("mp-cancel").addEventListener("click", function () { decide("cancel"); });
})();
