// wxemu: long-polls a grant like WeChat's QR page does and navigates once
// the user confirms (or refuses, when the emulator redirects refusals).
(function () {
  "use strict";
  var d = document.body.dataset;
  var status = document.getElementById("status");
  var last = 0;
  var texts = {
    408: null,
    404: "扫描成功，请在微信中点击确认即可登录",
    403: "您已取消此次登录",
    402: "二维码已失效，请刷新页面"
  };
  function say(t) { if (status && t) { status.textContent = t; } }
  function go(url) {
    if (d.target === "top") { window.top.location.href = url; } else { window.location.href = url; }
  }
  function handle(code, wxcode) {
    last = code;
    if (code === 405) { go(d.prefix + wxcode + d.suffix); return; }
    if (code === 403 && d.deny) { go(d.deny); return; }
    say(texts[code]);
    if (code === 408 || code === 404) { poll(); }
  }
  function poll() {
    var s = document.createElement("script");
    s.src = "/connect/l/qrconnect?uuid=" + encodeURIComponent(d.uuid) + (last ? "&last=" + last : "") + "&_=" + Date.now();
    s.onload = function () {
      s.remove();
      handle(window.wx_errcode, window.wx_code);
    };
    s.onerror = function () { s.remove(); setTimeout(poll, 2000); };
    document.head.appendChild(s);
  }
  poll();
})();
