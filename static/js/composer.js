// The composer's live behaviour (CSP-safe, no framework): variants follow the base text until
// edited, "reset to base text", a counter per network (the server's count, see countNow), channel
// groups that tick their channels, and on narrow screens the Edit / Preview tabs.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  if (!form) { return; }
  var base = form.querySelector("textarea[name=text]");

  // The counters show the server's count: one rule, the network provider's (the one the save
  // checks). Typing asks the composer's count endpoint 300 ms after the last key; until the answer
  // comes, the counter keeps its last number, marked as being updated.
  var countUrl = form.getAttribute("data-count-url");
  var countTimer = null;
  var countSeq = 0;
  function panels() { return form.querySelectorAll("[data-variant-panel]"); }
  function markCounting() {
    panels().forEach(function (panel) {
      if (!panel.hidden) { panel.querySelector("[data-counter]").setAttribute("aria-busy", "true"); }
    });
  }
  function showCounts(answer) {
    (answer.variants || []).forEach(function (v) {
      var panel = form.querySelector("[data-variant-panel='" + v.channel + "']");
      if (!panel) { return; }
      var out = panel.querySelector("[data-counter]");
      out.textContent = String(v.count);
      out.removeAttribute("aria-busy");
      out.classList.toggle("error", !!v.over);
      if (v.limit !== null && v.limit !== undefined) {
        panel.setAttribute("data-limit", String(v.limit));
        panel.querySelector("[data-limit-shown]").textContent = String(v.limit);
      }
    });
  }
  function countNow() {
    if (!countUrl || !window.fetch) { return; }
    var seq = ++countSeq;
    fetch(countUrl, { method: "POST", body: new FormData(form), credentials: "same-origin",
                      headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) { if (answer && seq === countSeq) { showCounts(answer); } })
      .catch(function () { /* the counters keep their last number; the save checks again */ });
  }
  function countSoon() {
    markCounting();
    if (countTimer) { clearTimeout(countTimer); }
    countTimer = setTimeout(countNow, 300);
  }
  function updateCounter() { countSoon(); }
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
    if (event.target.matches && event.target.matches("input[name=link_url], textarea[name=first_comment]")) {
      countSoon();  // X and Mastodon carry the link in the text
      return;
    }
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
    if (el.matches && el.matches("input[name=channels], input[data-group-channels], select[name=campaign], input[name=link_url]")) {
      countSoon();
    }
  });

  // Narrow screens: the editor and the previews are two tabs (wide screens show both side by side).
  var tabs = form.querySelector("[data-composer-tabs]");
  if (tabs) {
    tabs.hidden = false;
    form.classList.add("composer-tabbed");
    var showTab = function (name) {
      form.setAttribute("data-tab", name);
      tabs.querySelectorAll("[data-composer-tab]").forEach(function (tab) {
        var on = tab.getAttribute("data-composer-tab") === name;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        tab.tabIndex = on ? 0 : -1;
      });
    };
    tabs.addEventListener("click", function (event) {
      var tab = event.target.closest && event.target.closest("[data-composer-tab]");
      if (tab) { showTab(tab.getAttribute("data-composer-tab")); }
    });
    tabs.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") { return; }
      var next = form.getAttribute("data-tab") === "edit" ? "preview" : "edit";
      showTab(next);
      tabs.querySelector("[data-composer-tab='" + next + "']").focus();
      event.preventDefault();
    });
    showTab("edit");
  }

  showSelected();
  countNow();
})();
