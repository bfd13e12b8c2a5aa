// Approvals: the workflow builder (add, remove and reorder stages) and @mention suggestions in comments.
// Progressive enhancement only: without this script the builder shows one empty stage to fill in and
// typing @name in a comment works as before. No inline JS (CSP).
(function () {
  "use strict";

  // --- The workflow builder ----------------------------------------------------------------------------
  var NUMBERED = /stage_(\d+|__N__)_/;

  function renameIn(row, n) {
    row.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value && NUMBERED.test(value)) {
          el.setAttribute(attr, value.replace(NUMBERED, "stage_" + n + "_"));
        }
      });
    });
    var number = row.querySelector("[data-stage-number]");
    if (number) { number.textContent = String(n); }
  }

  function isBlank(row) {
    var name = row.querySelector("input[name$='_name']");
    return (!name || !name.value.trim()) && !row.querySelector("input[type=checkbox]:checked");
  }

  function showQuorum(row) {
    var rule = row.querySelector("select[name$='_rule']");
    var quorum = row.querySelector("[data-quorum]");
    if (rule && quorum) { quorum.hidden = rule.value !== "quorum"; }
  }

  function setUpBuilder(builder) {
    var list = builder.querySelector("[data-stage-list]");
    var template = document.getElementById("stage-template");
    var addButton = builder.querySelector("[data-stage-add]");
    var limit = builder.querySelector("[data-stage-limit]");
    var max = parseInt(builder.getAttribute("data-max-stages"), 10) || 10;
    if (!list || !template || !addButton) { return; }

    function rows() { return Array.prototype.slice.call(list.querySelectorAll("[data-stage-row]")); }

    function refresh() {
      var all = rows();
      all.forEach(function (row, i) {
        renameIn(row, i + 1);
        row.querySelector("[data-stage-tools]").hidden = false;
        row.querySelector("[data-stage-up]").disabled = i === 0;
        row.querySelector("[data-stage-down]").disabled = i === all.length - 1;
        row.querySelector("[data-stage-remove]").disabled = all.length === 1;
        showQuorum(row);
      });
      addButton.disabled = all.length >= max;
      if (limit) { limit.hidden = all.length < max; }
    }

    // The server adds an empty row for people without JavaScript; here the button does that.
    var all = rows();
    while (all.length > 1 && isBlank(all[all.length - 1]) && !all[all.length - 1].querySelector(".error")) {
      all.pop().remove();
    }
    addButton.hidden = false;
    builder.querySelectorAll("[data-stage-nojs]").forEach(function (el) { el.hidden = true; });

    addButton.addEventListener("click", function () {
      if (rows().length >= max) { return; }
      var row = template.content.firstElementChild.cloneNode(true);
      list.appendChild(row);
      refresh();
      var name = row.querySelector("input[name$='_name']");
      if (name) { name.focus(); }
    });

    list.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      var row = button && button.closest("[data-stage-row]");
      if (!row) { return; }
      if (button.hasAttribute("data-stage-remove")) {
        var next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        refresh();
        if (next) { next.querySelector("input[name$='_name']").focus(); }
      } else if (button.hasAttribute("data-stage-up") && row.previousElementSibling) {
        list.insertBefore(row, row.previousElementSibling);
        refresh();
        button.focus();
      } else if (button.hasAttribute("data-stage-down") && row.nextElementSibling) {
        list.insertBefore(row.nextElementSibling, row);
        refresh();
        button.focus();
      }
    });

    list.addEventListener("change", function (event) {
      if (event.target.matches("select[name$='_rule']")) {
        showQuorum(event.target.closest("[data-stage-row]"));
      }
    });

    refresh();
  }

  // --- @mention suggestions ------------------------------------------------------------------------------
  var TYPED = /(^|[^\w.])@([\w.+-]*)$/;
  var counter = 0;

  function setUpMentions(box) {
    var url = box.getAttribute("data-mentions-url");
    if (!url) { return; }
    counter += 1;
    var listId = "mention-list-" + counter;
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    box.insertAdjacentElement("afterend", list);
    // A <textarea> is a textbox: aria-autocomplete, aria-controls and aria-activedescendant belong
    // to it, aria-expanded does not (that is a combobox's, which a multi-line box cannot be).
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", listId);

    var results = [];
    var active = -1;
    var timer = null;
    var asked = "";

    function close() {
      list.hidden = true;
      list.textContent = "";
      results = [];
      active = -1;
      box.removeAttribute("aria-activedescendant");
    }

    function typed() {
      var before = box.value.slice(0, box.selectionStart);
      var m = TYPED.exec(before);
      return m ? m[2] : null;
    }

    function highlight(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, j) {
        li.setAttribute("aria-selected", j === i ? "true" : "false");
      });
      if (i >= 0) { box.setAttribute("aria-activedescendant", listId + "-" + i); }
    }

    function choose(i) {
      var person = results[i];
      var prefix = typed();
      if (!person || prefix === null) { close(); return; }
      var caret = box.selectionStart;
      var start = caret - prefix.length;
      var insert = person.handle + " ";
      box.value = box.value.slice(0, start) + insert + box.value.slice(caret);
      var at = start + insert.length;
      box.setSelectionRange(at, at);
      close();
      box.focus();
    }

    function show(people) {
      results = people;
      list.textContent = "";
      if (!people.length) { close(); return; }
      people.forEach(function (person, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        var name = document.createElement("strong");
        name.textContent = person.name;
        var handle = document.createElement("span");
        handle.className = "muted";
        handle.textContent = " @" + person.handle;
        li.appendChild(name);
        li.appendChild(handle);
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus (and the caret) in the text box
          choose(i);
        });
        list.appendChild(li);
      });
      list.hidden = false;
      highlight(0);
    }

    function lookUp() {
      var prefix = typed();
      if (prefix === null) { close(); return; }
      if (prefix === asked && !list.hidden) { return; }
      asked = prefix;
      var sep = url.indexOf("?") === -1 ? "?" : "&";
      fetch(url + sep + "q=" + encodeURIComponent(prefix), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          if (typed() === prefix) { show(data.results || []); }
        })
        .catch(close);
    }

    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookUp, 150);
    });
    box.addEventListener("keydown", function (event) {
      if (list.hidden || !results.length) { return; }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % results.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight((active - 1 + results.length) % results.length);
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        choose(active < 0 ? 0 : active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    box.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function start() {
    document.querySelectorAll("[data-stage-builder]").forEach(setUpBuilder);
    document.querySelectorAll("textarea[data-mentions-url]").forEach(setUpMentions);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
