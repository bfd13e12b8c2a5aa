// The composer's live behaviour (CSP-safe, no framework): variants follow the base text until
// edited, "reset to base text", a character counter per network, and channel groups that tick
// their channels. The server re-checks everything on save; these counts are a guide.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  if (!form) { return; }
  var base = form.querySelector("textarea[name=text]");

  function isWide(cp) {
    return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd);
  }
  function weighted(text) {  // X: URLs count 23, CJK and emoji 2, the rest 1 (approximate; the server decides)
    var total = 0;
    text = text.replace(/https?:\/\/\S+/g, function () { total += 23; return ""; });
    Array.from(text).forEach(function (ch) { total += isWide(ch.codePointAt(0)) ? 2 : 1; });
    return total;
  }
  function graphemes(text) {
    if (window.Intl && Intl.Segmenter) { return Array.from(new Intl.Segmenter().segment(text)).length; }
    return Array.from(text).length;
  }
  function measure(text, counting) {
    text = text.normalize ? text.normalize("NFC") : text;
    if (counting === "weighted") { return weighted(text); }
    if (counting === "graphemes") { return graphemes(text); }
    return Array.from(text).length;
  }
  function panels() { return form.querySelectorAll("[data-variant-panel]"); }
  function updateCounter(panel) {
    var area = panel.querySelector("[data-variant-text]");
    var out = panel.querySelector("[data-counter]");
    var limit = parseInt(panel.getAttribute("data-limit"), 10);
    var n = measure(area.value, panel.getAttribute("data-counting"));
    out.textContent = String(n);
    out.classList.toggle("error", n > limit);
  }
  function setOverride(panel, on) {
    panel.querySelector("[data-variant-override]").value = on ? "1" : "0";
    var state = panel.querySelector("[data-inherit-state]");
    if (state) { state.textContent = state.getAttribute(on ? "data-own" : "data-follows"); }
  }
  function followBase() {
    panels().forEach(function (panel) {
      if (panel.querySelector("[data-variant-override]").value !== "1") {
        panel.querySelector("[data-variant-text]").value = base.value;
      }
      updateCounter(panel);
    });
  }
  var zone = form.querySelector("select[name=schedule_timezone]");
  var zoneTouched = !!(zone && form.hasAttribute("data-has-schedule"));
  if (zone) { zone.addEventListener("change", function () { zoneTouched = true; }); }
  function showSelected() {
    var picked = {};
    var firstZone = "";
    form.querySelectorAll("input[name=channels]").forEach(function (box) { if (box.checked) { picked[box.value] = true; } });
    panels().forEach(function (panel) {
      panel.hidden = !picked[panel.getAttribute("data-variant-panel")];
      if (!panel.hidden && !firstZone) { firstZone = panel.getAttribute("data-timezone"); }
    });
    // The schedule's zone defaults to the (first) picked channel's until the person picks one.
    if (zone && !zoneTouched && firstZone) { zone.value = firstZone; }
  }
  if (base) { base.addEventListener("input", followBase); }
  form.addEventListener("input", function (event) {
    var area = event.target.closest && event.target.closest("[data-variant-text]");
    if (!area) { return; }
    var panel = area.closest("[data-variant-panel]");
    setOverride(panel, area.value !== base.value);
    updateCounter(panel);
  });
  form.addEventListener("click", function (event) {
    var btn = event.target.closest && event.target.closest("[data-reset-variant]");
    if (!btn) { return; }
    var panel = btn.closest("[data-variant-panel]");
    panel.querySelector("[data-variant-text]").value = base.value;
    setOverride(panel, false);
    updateCounter(panel);
  });
  form.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("input[data-group-channels]") && el.checked) {
      el.getAttribute("data-group-channels").split(",").forEach(function (id) {
        var box = form.querySelector("input[name=channels][value='" + id + "']");
        if (box) { box.checked = true; }
      });
    }
    if (el.matches && el.matches("input[name=channels], input[data-group-channels]")) { showSelected(); }
  });
  showSelected();
  panels().forEach(updateCounter);
})();
