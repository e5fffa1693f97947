// wxemu phone simulator: choose a WeChat user, then scan, confirm or deny
// the pending grants through the emulator's control API.
(function () {
  "use strict";
  var focusUUID = document.body.dataset.uuid || "";
  var me = readCookie("wxemu_user");
  var users = {};
  var scannedFocus = false;
  var $ = function (id) { return document.getElementById(id); };

  function readCookie(name) {
    var parts = document.cookie.split("; ");
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].split("=");
      if (kv[0] === name) { return decodeURIComponent(kv.slice(1).join("=")); }
    }
    return "";
  }
  function setMe(id) {
    me = id;
    document.cookie = "wxemu_user=" + encodeURIComponent(id) + "; path=/; max-age=31536000; SameSite=Lax";
    $("me-hint").textContent = id ? "Pages opened in this browser now act as " + (users[id] ? users[id].nickname : id) + " (cookie wxemu_user)." : "";
    scannedFocus = false;
    refresh();
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

  function loadUsers() {
    return api("GET", "/users").then(function (list) {
      list.sort(function (a, b) { return a.user_id < b.user_id ? -1 : 1; });
      var sel = $("user-select");
      sel.textContent = "";
      var none = document.createElement("option");
      none.value = "";
      none.textContent = "— choose a user —";
      sel.appendChild(none);
      users = {};
      list.forEach(function (u) {
        users[u.user_id] = u;
        var o = document.createElement("option");
        o.value = u.user_id;
        o.textContent = u.nickname + " (" + u.user_id + ")";
        sel.appendChild(o);
      });
      if (me && !users[me]) { me = ""; }
      sel.value = me;
      if (me) { $("me-hint").textContent = "Acting as " + users[me].nickname + " (cookie wxemu_user)."; }
    });
  }

  function act(uuid, action) {
    if (!me) { showError("Choose a user first."); return Promise.resolve(); }
    return api("POST", "/grants/" + encodeURIComponent(uuid) + "/" + action, { user_id: me }).then(function (res) {
      showError("");
      if (action === "confirm" && res.redirect) { lastRedirect[uuid] = res.redirect; }
      return refresh();
    }).catch(showError);
  }
  var lastRedirect = {};

  function button(text, cls, fn) {
    var b = document.createElement("button");
    b.textContent = text;
    if (cls) { b.className = cls; }
    b.addEventListener("click", fn);
    return b;
  }
  function grantItem(g) {
    var li = document.createElement("li");
    var title = document.createElement("div");
    title.className = "title";
    title.textContent = g.app_name;
    var meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = (g.kind === "qrconnect" ? "网站扫码登录" : "公众号网页授权") + " · " + g.scope + " · " + g.status + (g.user_id ? " · " + g.user_id : "");
    li.appendChild(title);
    li.appendChild(meta);
    var row = document.createElement("div");
    row.className = "buttons";
    if (g.status === "waiting" && g.kind === "qrconnect") {
      row.appendChild(button("扫码 · Scan", "", function () { act(g.uuid, "scan"); }));
    }
    if (g.status === "waiting" || g.status === "scanned") {
      row.appendChild(button("允许 · Confirm", "primary", function () { act(g.uuid, "confirm"); }));
      row.appendChild(button("拒绝 · Deny", "", function () { act(g.uuid, "cancel"); }));
    }
    if (lastRedirect[g.uuid]) {
      var a = document.createElement("a");
      a.href = lastRedirect[g.uuid];
      a.textContent = "继续 · Continue to the app";
      row.appendChild(a);
    }
    li.appendChild(row);
    return li;
  }

  function refresh() {
    return api("GET", "/grants?status=pending").then(function (list) {
      var ul = $("grants");
      ul.textContent = "";
      list.forEach(function (g) { if (g.uuid !== focusUUID) { ul.appendChild(grantItem(g)); } });
      $("grants-empty").hidden = ul.children.length > 0;
      if (!focusUUID) { return; }
      return api("GET", "/grants/" + encodeURIComponent(focusUUID)).then(function (g) {
        $("focus").hidden = false;
        var body = $("focus-body");
        body.textContent = "";
        if (g.status === "waiting" && me && !scannedFocus) {
          scannedFocus = true;
          return act(g.uuid, "scan");
        }
        body.appendChild(grantItem(g));
        if (!me) {
          var p = document.createElement("p");
          p.className = "hint";
          p.textContent = "Choose or create a user above to scan this code.";
          body.appendChild(p);
        }
      }).catch(function (err) {
        $("focus").hidden = false;
        $("focus-body").textContent = String(err.message || err);
      });
    }).catch(showError);
  }

  $("user-select").addEventListener("change", function (ev) { setMe(ev.target.value); });
  $("new-user").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var nick = $("new-nickname").value.trim();
    api("POST", "/users", nick ? { nickname: nick } : {}).then(function (res) {
      $("new-nickname").value = "";
      return loadUsers().then(function () { $("user-select").value = res.user_id; setMe(res.user_id); });
    }).catch(showError);
  });
  loadUsers().then(refresh).catch(showError);
  setInterval(refresh, 2000);
})();
