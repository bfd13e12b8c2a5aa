// Small behaviours that the CSP forbids inline: auto-submitting selects, the phone menu,
// confirmations (data-confirm), "select all" boxes (data-select-all), Escape on the organization
// switcher and keyboard access to tables that scroll sideways.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]")) { el.form.submit(); }
  if (el.matches && el.matches("input[type=checkbox][data-select-all]")) {
    var scope = el.form || document;
    scope.querySelectorAll("input[type=checkbox][name='" + el.getAttribute("data-select-all") + "']").forEach(
      function (box) { if (!box.disabled) { box.checked = el.checked; } });
  }
});
// Escape closes the open organization switcher (a <details>, which does not close on Escape by
// itself) and puts the focus back on it.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") { return; }
  var menu = document.querySelector("details.org-switcher[open]");
  if (!menu) { return; }
  menu.open = false;
  menu.querySelector("summary").focus();
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

// A table wider than the screen scrolls sideways inside its .table-wrap: a keyboard user can
// scroll it only if the box takes the focus (WCAG 2.1.1), and a box that takes the focus needs a
// name (the heading above it). Only boxes that do scroll become tab stops; checked again when the
// window is resized and after htmx swaps content in.
function tableHeading(el) {
  for (var node = el; node && node !== document.body; node = node.parentElement) {
    for (var sib = node.previousElementSibling; sib; sib = sib.previousElementSibling) {
      if (sib.matches("h1, h2, h3")) { return sib.textContent.trim(); }
      var inner = sib.querySelectorAll("h1, h2, h3");
      if (inner.length) { return inner[inner.length - 1].textContent.trim(); }
    }
  }
  return document.title;
}
function focusableScrollers() {
  document.querySelectorAll(".table-wrap").forEach(function (wrap) {
    var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
    if (scrolls && !wrap.hasAttribute("tabindex")) {
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("data-scroller", "");
      if (!wrap.hasAttribute("aria-label") && !wrap.hasAttribute("aria-labelledby")) {
        wrap.setAttribute("aria-label", tableHeading(wrap));
        wrap.setAttribute("data-scroller", "named");
      }
    } else if (!scrolls && wrap.hasAttribute("data-scroller")) {
      if (wrap.getAttribute("data-scroller") === "named") { wrap.removeAttribute("aria-label"); }
      ["tabindex", "role", "data-scroller"].forEach(function (name) { wrap.removeAttribute(name); });
    }
  });
}
focusableScrollers();
var scrollerTimer = null;
window.addEventListener("resize", function () {
  window.clearTimeout(scrollerTimer);
  scrollerTimer = window.setTimeout(focusableScrollers, 150);
});
document.addEventListener("htmx:afterSettle", focusableScrollers);

// data-copy="<id>" on a button copies the text of the element with that id (a link shown once).
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("button[data-copy]");
  if (!button) { return; }
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) { return; }
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    var done = button.getAttribute("data-copied");
    if (done) { button.textContent = done; }
  });
});
