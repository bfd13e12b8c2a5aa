// The inbox's keyboard and bulk behaviours (templates/inbox/; the CSP forbids inline scripts):
// tag colours, "select all" over the list's checkboxes, the list's refresh paused while some are
// ticked, the saved-reply picker (Ctrl+/ or "/"; arrows + Enter insert) and the shortcuts
// j/k, Enter/o, a, r, c, e and ? (a dialog listing them). No shortcut fires while typing in a field.
(function () {
  "use strict";
  var ORDER_KEY = "inbox-order";

  function paintTags(root) {
    (root || document).querySelectorAll("[data-colour]").forEach(function (el) {
      var colour = el.getAttribute("data-colour");
      if (/^#[0-9a-fA-F]{6}$/.test(colour) && el.classList.contains("tag-dot")) {
        el.style.backgroundColor = colour;
      }
    });
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-conversation-row]")); }
  function rowBoxes() { return Array.prototype.slice.call(document.querySelectorAll("input[name=conversation][form=bulk-form]")); }
  function rememberOrder() {
    var ids = rows().map(function (row) { return row.id.replace("conversation-", ""); });
    if (ids.length) {
      try { window.sessionStorage.setItem(ORDER_KEY, JSON.stringify(ids)); } catch (e) { /* private mode */ }
    }
  }
  function storedOrder() {
    try { return JSON.parse(window.sessionStorage.getItem(ORDER_KEY) || "[]"); } catch (e) { return []; }
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-select-all-rows]")) {
      rowBoxes().forEach(function (box) { box.checked = el.checked; });
    }
  });
  // The 15 s refresh would untick the boxes: skip it while some are ticked.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var list = document.getElementById("inbox-list");
    if (list && event.detail && event.detail.elt === list && rowBoxes().some(function (b) { return b.checked; })) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:afterSettle", function () { paintTags(); rememberOrder(); setCurrent(current, false); });

  // --- the list: a current row -------------------------------------------------------------
  var current = -1;
  function setCurrent(index, focus) {
    var all = rows();
    if (!all.length) { current = -1; return; }
    all.forEach(function (row) { row.classList.remove("is-current"); row.removeAttribute("aria-current"); });
    if (index < 0) { return; }
    current = Math.max(0, Math.min(index, all.length - 1));
    var row = all[current];
    row.classList.add("is-current");
    row.setAttribute("aria-current", "true");
    if (focus !== false) {
      var link = row.querySelector("a.inbox-snippet");
      if (link) { link.focus(); }
      row.scrollIntoView({ block: "nearest" });
    }
  }
  function actOnCurrent(buttonId) {
    var all = rows();
    var row = all[current < 0 ? 0 : current];
    var button = document.getElementById(buttonId);
    if (!row || !button) { return; }
    rowBoxes().forEach(function (box) { box.checked = false; });
    var box = row.querySelector("input[name=conversation]");
    if (!box) { return; }
    box.checked = true;
    button.form.requestSubmit(button);
  }

  // --- dialogs -----------------------------------------------------------------------------
  var opener = null;
  function openDialog(dialog, focusEl) {
    if (!dialog || dialog.open) { return; }
    opener = document.activeElement;
    dialog.showModal();
    if (focusEl) { focusEl.focus(); }
  }
  document.addEventListener("close", function (event) {
    if (event.target.tagName === "DIALOG" && opener && opener.focus) { opener.focus(); opener = null; }
  }, true);

  // --- the saved-reply picker ----------------------------------------------------------------
  var picker = document.getElementById("saved-replies-dialog");
  var pickerFilter = document.getElementById("saved-replies-filter");
  var replyBox = document.querySelector("#reply-form textarea");
  function options() {
    return Array.prototype.slice.call(picker.querySelectorAll("[role=option]")).filter(function (o) { return !o.hidden; });
  }
  function choose(option) {
    picker.querySelectorAll("[role=option]").forEach(function (o) { o.setAttribute("aria-selected", "false"); });
    if (!option) { pickerFilter.removeAttribute("aria-activedescendant"); return; }
    option.setAttribute("aria-selected", "true");
    pickerFilter.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }
  function insert(option) {
    if (!option || !replyBox) { return; }
    var text = option.getAttribute("data-saved-text");
    var start = replyBox.selectionStart || 0, end = replyBox.selectionEnd || 0;
    replyBox.value = replyBox.value.slice(0, start) + text + replyBox.value.slice(end);
    opener = null;
    picker.close();
    replyBox.focus();
    replyBox.setSelectionRange(start + text.length, start + text.length);
    replyBox.dispatchEvent(new Event("input", { bubbles: true }));
  }
  function openPicker() {
    if (!picker) { return; }
    pickerFilter.value = "";
    picker.querySelectorAll("[role=option]").forEach(function (o) { o.hidden = false; });
    openDialog(picker, pickerFilter);
    choose(options()[0]);
  }
  if (picker) {
    pickerFilter.addEventListener("input", function () {
      var q = pickerFilter.value.toLowerCase();
      picker.querySelectorAll("[role=option]").forEach(function (o) { o.hidden = o.textContent.toLowerCase().indexOf(q) === -1; });
      choose(options()[0]);
    });
    pickerFilter.addEventListener("keydown", function (event) {
      var list = options();
      var at = list.indexOf(picker.querySelector("[role=option][aria-selected=true]"));
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!list.length) { return; }
        at = event.key === "ArrowDown" ? Math.min(at + 1, list.length - 1) : Math.max(at - 1, 0);
        choose(list[at]);
      } else if (event.key === "Enter") {
        event.preventDefault();
        insert(list[at]);
      }
    });
    picker.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) { insert(option); }
    });
    var openButton = document.getElementById("saved-replies-open");
    if (openButton) { openButton.addEventListener("click", openPicker); }
  }

  var shortcuts = document.getElementById("shortcuts-dialog");
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-shortcuts-open]")) { openDialog(shortcuts, document.getElementById("shortcuts-close")); }
  });

  // --- shortcuts -----------------------------------------------------------------------------
  function typing(el) {
    if (!el) { return false; }
    if (el.tagName === "INPUT") { return !/^(checkbox|radio|button|submit|reset)$/.test(el.type); }
    return el.isContentEditable || /^(TEXTAREA|SELECT)$/.test(el.tagName);
  }
  function click(id) { var el = document.getElementById(id); if (el) { el.click(); return true; } return false; }
  var conversationId = "";
  var form = document.getElementById("reply-form");
  if (form) {
    var m = /\/inbox\/(\d+)\//.exec(form.getAttribute("action"));
    conversationId = m ? m[1] : "";
    document.body.setAttribute("data-conversation", conversationId);
  }
  function neighbour(offset) {
    var order = storedOrder();
    var at = order.indexOf(conversationId);
    return at === -1 ? null : (order[at + offset] || null);
  }
  function openConversation(id) {
    var base = window.location.pathname.replace(/\/inbox\/.*$/, "/inbox/");
    window.location.assign(base + id + "/");
  }

  document.addEventListener("keydown", function (event) {
    if (document.querySelector("dialog[open]")) { return; }  // a dialog handles its own keys
    if (event.key === "/" && event.ctrlKey && picker) {  // Ctrl+/ works in the reply box too
      event.preventDefault();
      openPicker();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var onList = rows().length > 0 && !form;
    var key = event.key;
    if (key === "?") { event.preventDefault(); openDialog(shortcuts, document.getElementById("shortcuts-close")); return; }
    if (onList) {
      if (key === "j") { setCurrent(current + 1); }
      else if (key === "k") { setCurrent(current < 0 ? 0 : current - 1); }
      else if (key === "o" || (key === "Enter" && !(event.target.closest && event.target.closest("a, button")))) {
        var row = rows()[current < 0 ? 0 : current];
        var link = row && row.querySelector("a.inbox-snippet");
        if (link) { window.location.assign(link.href); }
      }
      else if (key === "a") { actOnCurrent("bulk-assign-me"); }
      else if (key === "c" || key === "e") {
        try { window.sessionStorage.setItem("inbox-current", String(current)); } catch (e) { /* */ }
        actOnCurrent("bulk-close");
      }
      else { return; }
      event.preventDefault();
      return;
    }
    if (form) {
      if (key === "/" && picker) { openPicker(); }
      else if (key === "r") { if (replyBox) { replyBox.focus(); } }
      else if (key === "a") { if (!click("assign-me")) { return; } }
      else if (key === "c") { click("close"); }
      else if (key === "e") {
        var nextField = document.querySelector("[data-next-conversation]");
        if (nextField) { nextField.value = neighbour(1) || ""; }
        click("close");
      }
      else if (key === "j" || key === "k") {
        var target = neighbour(key === "j" ? 1 : -1);
        if (target) { openConversation(target); } else { return; }
      }
      else { return; }
      event.preventDefault();
    }
  });

  paintTags();
  rememberOrder();
  if (rows().length && !form) {
    var saved = null;
    try { saved = window.sessionStorage.getItem("inbox-current"); window.sessionStorage.removeItem("inbox-current"); } catch (e) { /* */ }
    if (saved !== null) { setCurrent(parseInt(saved, 10) || 0); }
  }
})();
