// wxemu phone simulator, scan logins: the mini-program codes drawn on this
// machine. Scanning one opens the mini-program on the code's page with its
// scene; wx.login gives the page a code. When the app has a page_url (a web
// page standing in for the mini-program's pages), the simulator goes there
// with page, scene and code in the #fragment (never sent to a server);
// otherwise it shows them.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var section = $("scan-codes");
  if (!section) { return; }
  var focus = section.getAttribute("data-wxacode") || "";
  var opened = false;
  function me() {
    var parts = document.cookie.split("; ");
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].split("=");
      if (kv[0] === "wxemu_user") { return decodeURIComponent(kv.slice(1).join("=")); }
    }
    return "";
  }
  function api(method, path, body) {
    var opts = { method: method, headers: {} };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch("/_emulator" + path, opts).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { throw new Error(j.message || r.statusText); }
        return j;
      });
    });
  }
  function showError(err) { $("error").textContent = err ? String(err.message || err) : ""; }
  function open(id) {
    var user = me();
    if (!user) { showError("Choose a user first."); return; }
    api("POST", "/wxacodes/" + encodeURIComponent(id) + "/open", { user_id: user }).then(function (o) {
      showError("");
      if (o.page_url) {
        var f = "page=" + encodeURIComponent(o.page) + "&scene=" + encodeURIComponent(o.scene) + "&code=" + encodeURIComponent(o.code) + "&appid=" + encodeURIComponent(o.appid);
        window.location.assign(o.page_url + "#" + f);
        return;
      }
      var box = $("wxacode-opened");
      box.textContent = "";
      [["page", o.page], ["options.scene", o.scene], ["wx.login code", o.code]].forEach(function (kv) {
        var p = document.createElement("p");
        p.className = "meta";
        p.textContent = kv[0] + ": " + kv[1];
        box.appendChild(p);
      });
    }).catch(showError);
  }
  function refresh() {
    return api("GET", "/wxacodes").then(function (list) {
      var ul = $("wxacodes");
      ul.textContent = "";
      list.slice(0, 10).forEach(function (c) {
        var li = document.createElement("li");
        li.id = "wxacode-" + c.id;
        var title = document.createElement("div");
        title.className = "title";
        title.textContent = c.app_name;
        var meta = document.createElement("div");
        meta.className = "meta";
        meta.textContent = "小程序码 · " + c.page + " · scene " + c.scene;
        var b = document.createElement("button");
        b.className = "primary";
        b.textContent = "扫码 · Scan";
        b.addEventListener("click", function () { open(c.id); });
        li.appendChild(title);
        li.appendChild(meta);
        li.appendChild(b);
        ul.appendChild(li);
      });
      $("wxacodes-empty").hidden = list.length > 0;
      if (focus && !opened && me()) {
        opened = true;
        open(focus);
      }
    }).catch(showError);
  }
  refresh();
  setInterval(refresh, 2000);
})();
