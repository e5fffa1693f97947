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
  // Official accounts' parametric QR codes: a follower's scan pushes
  // SCAN; anyone else sees the account and follows (subscribe) or not.
  var oa = $("oa-codes");
  var focusTicket = oa ? oa.getAttribute("data-qrticket") || "" : "";
  var scannedTicket = false;
  function result(t) { $("qrcode-result").textContent = t; }
  function scanTicket(ticket, follow) {
    var user = me();
    if (!user) { showError("Choose a user first."); return; }
    api("POST", "/qrcodes/" + encodeURIComponent(ticket) + "/scan", { user_id: user, follow: follow }).then(function (res) {
      showError("");
      if (res.status === "needs_follow") {
        result("你还没有关注这个公众号 · You do not follow this account yet: follow it to go on.");
        var li = document.getElementById("qrcode-" + ticket);
        if (li && !li.querySelector(".follow")) {
          var f = document.createElement("button");
          f.className = "primary follow";
          f.textContent = "关注 · Follow";
          f.addEventListener("click", function () { scanTicket(ticket, true); });
          li.appendChild(f);
        }
        return;
      }
      result(res.status === "pushed" ? "已发送 " + res.event + " 事件 · The " + res.event + " event reached the account's server." :
        "事件未送达 · The " + (res.event || "") + " event was not delivered (" + res.status + ", " + res.attempts + " attempts).");
    }).catch(showError);
  }
  function refreshCodes() {
    if (!oa) { return; }
    api("GET", "/qrcodes").then(function (list) {
      var ul = $("qrcodes");
      var keep = {};
      list.slice(0, 10).forEach(function (c) {
        keep[c.ticket] = true;
        if (document.getElementById("qrcode-" + c.ticket)) { return; }
        var li = document.createElement("li");
        li.id = "qrcode-" + c.ticket;
        var title = document.createElement("div");
        title.className = "title";
        title.textContent = c.app_name;
        var meta = document.createElement("div");
        meta.className = "meta";
        meta.textContent = "公众号二维码 · scene " + (c.scene_str || c.scene_id);
        var b = document.createElement("button");
        b.className = "primary scan";
        b.textContent = "扫码 · Scan";
        b.addEventListener("click", function () { scanTicket(c.ticket, false); });
        li.appendChild(title);
        li.appendChild(meta);
        li.appendChild(b);
        ul.appendChild(li);
      });
      Array.prototype.slice.call(ul.children).forEach(function (li) { if (!keep[li.id.slice(7)]) { ul.removeChild(li); } });
      $("qrcodes-empty").hidden = ul.children.length > 0;
      if (focusTicket && !scannedTicket && me()) {
        scannedTicket = true;
        scanTicket(focusTicket, false);
      }
    }).catch(showError);
  }
  refresh();
  refreshCodes();
  setInterval(refresh, 2000);
  setInterval(refreshCodes, 2000);
})();
