// Small behaviours that the CSP forbids inline: auto-submitting selects, the phone menu,
// confirmations (data-confirm) and "select all" boxes (data-select-all).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]")) { el.form.submit(); }
  if (el.matches && el.matches("input[type=checkbox][data-select-all]")) {
    var scope = el.form || document;
    scope.querySelectorAll("input[type=checkbox][name='" + el.getAttribute("data-select-all") + "']").forEach(
      function (box) { if (!box.disabled) { box.checked = el.checked; } });
  }
});
document.addEventListener("click", function (event) {
  var btn = event.target.closest && event.target.closest("[data-nav-toggle]");
  if (!btn) { return; }
  var nav = document.getElementById(btn.getAttribute("aria-controls"));
  if (!nav) { return; }
  var open = nav.classList.toggle("open");
  btn.setAttribute("aria-expanded", open ? "true" : "false");
});

// data-confirm="Question?" asks before the action goes ahead, wherever it is written:
// - on a button, an <input type=submit> or a link: asked on click, in the capture phase, so a
//   "no" stops the click before it reaches the element (a link is not followed, a form is not
//   submitted, an htmx request is not sent);
// - on a form: asked on submit, unless the button that submitted it already asked.
document.addEventListener("click", function (event) {
  var el = event.target.closest && event.target.closest("button[data-confirm], input[data-confirm], a[data-confirm]");
  if (!el || el.disabled) { return; }
  if (!window.confirm(el.getAttribute("data-confirm"))) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (!question) { return; }
  if (event.submitter && event.submitter.hasAttribute("data-confirm")) { return; }  // asked on click
  if (!window.confirm(question)) { event.preventDefault(); }
});
