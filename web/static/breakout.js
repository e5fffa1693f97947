// After a login completed inside an iframe (wxLogin's self_redirect), send
// the top window to where the login should end. The target is the link the
// gateway rendered: a validated return_to.
(function () {
  var a = document.getElementById("wxgate-continue");
  if (a && window.top) { window.top.location.href = a.href; }
})();
