// Small behaviours that the CSP forbids inline: auto-submitting selects and the phone menu.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]")) { el.form.submit(); }
});
document.addEventListener("click", function (event) {
  var btn = event.target.closest && event.target.closest("[data-nav-toggle]");
  if (!btn) { return; }
  var nav = document.getElementById(btn.getAttribute("aria-controls"));
  if (!nav) { return; }
  var open = nav.classList.toggle("open");
  btn.setAttribute("aria-expanded", open ? "true" : "false");
});
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); }
});
