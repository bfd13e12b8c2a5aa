// The editorial calendar (FullCalendar 6, vendored in static/vendor/fullcalendar/).
//
// Time zones: the calendar runs in the viewer's named zone without a time-zone plugin, which
// FullCalendar calls "UTC coercion": the server sends wall-clock times without an offset, and the
// UTC fields of every Date FullCalendar hands us are that wall-clock time. We send wall-clock
// times back the same way (no offset) and the server reads them in the viewer's zone.
(function () {
  "use strict";

  // Colour swatches (the CSP forbids style attributes in the markup; setting them from JS is fine).
  document.querySelectorAll("[data-color]").forEach(function (el) {
    el.style.backgroundColor = el.getAttribute("data-color");
  });

  // Best-time suggestions in the composer: fill the schedule fields.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-best-time]");
    if (!button) { return; }
    var set = function (id, value) {
      var field = document.getElementById(id);
      if (field && value) { field.value = value; field.dispatchEvent(new Event("change", { bubbles: true })); }
    };
    set("id_schedule_date", button.getAttribute("data-date"));
    set("id_schedule_time", button.getAttribute("data-time"));
    set("id_schedule_timezone", button.getAttribute("data-timezone"));
  });

  var el = document.getElementById("calendar");
  if (!el || !window.FullCalendar) { return; }

  var shared = el.getAttribute("data-shared") === "1";
  var mayCompose = el.getAttribute("data-may-compose") === "1";
  var filtersForm = document.getElementById("cal-filters");
  var messageEl = document.getElementById("cal-message");
  var cadenceList = document.getElementById("cal-cadence");
  var narrow = window.matchMedia("(max-width: 599px)");
  // On a phone the filters start folded (seven fields would push the calendar off the screen),
  // unless some are set.
  var filtersBox = document.getElementById("cal-filters-box");
  if (filtersBox && narrow.matches && !/[?&](team|channel|network|campaign|status|author)=[^&]/.test(window.location.search)) {
    filtersBox.open = false;
  }

  // The page's date formats, one set per language (socialops/formats/<lang>/formats.py, written into
  // the page by {% intl_date_formats %}): the same day and time the server writes, for the calendar
  // and for the times this file shows itself.
  var DATES = (function () {
    var node = document.getElementById("date-formats");
    try { return node ? JSON.parse(node.textContent) : null; } catch (e) { return null; }
  }()) || {
    locale: "en-GB", join: ", ",
    formats: {
      day: { weekday: "short", day: "numeric", month: "short" },
      date: { day: "numeric", month: "short", year: "numeric" },
      weekday: { weekday: "short" },
      month: { month: "long", year: "numeric" },
      time: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
    }
  };
  // A wall-clock "YYYY-MM-DDTHH:MM[:SS]" (no offset) as "Sun 6 Dec, 14:00" / "Min, 6 Des 14.00".
  function dayAndTime(iso) {
    var d = new Date(iso.slice(0, 16) + ":00Z");
    var show = function (options) {
      return new Intl.DateTimeFormat(DATES.locale, Object.assign({ timeZone: "UTC" }, options)).format(d);
    };
    return show(DATES.formats.day) + DATES.join + show(DATES.formats.time);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // The wall-clock time of a UTC-coerced Date, as "YYYY-MM-DDTHH:MM:SS" (no offset).
  function wallClock(d) {
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + "T" +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }

  // The message floats over the page (calendar.css): shown in the flow above the calendar it pushed
  // the days down after a move, and FullCalendar, which measures the days when a drag starts, then
  // dropped the next post into the wrong day (or the press missed the post); hiding it moved them back.
  var messageTimer = null;
  if (messageEl) {
    messageEl.addEventListener("click", function () { messageEl.hidden = true; });
  }
  function say(text, kind) {
    if (!messageEl) { return; }
    messageEl.textContent = text;
    messageEl.className = "cal-message msg msg-" + (kind || "info");
    messageEl.hidden = false;
    window.clearTimeout(messageTimer);
    messageTimer = window.setTimeout(function () { messageEl.hidden = true; }, 12000);
  }

  function filterParams() {
    var params = new URLSearchParams();
    if (!filtersForm) { return params; }
    new FormData(filtersForm).forEach(function (value, key) {
      if (value !== "") { params.append(key, value); }
    });
    return params;
  }

  // The cadence problems of the range, one folding group a week (the first open): a month of
  // weekly gaps on many channels is otherwise a wall of lines.
  function renderCadence(items, weeks) {
    if (!cadenceList) { return; }
    cadenceList.textContent = "";
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = el.getAttribute("data-msg-none") || "";
      cadenceList.appendChild(none);
      return;
    }
    var byWeek = {};
    items.forEach(function (item) { (byWeek[item.week] = byWeek[item.week] || []).push(item); });
    (weeks.length ? weeks : [{ week: items[0].week, title: "" }]).forEach(function (week, index) {
      var group = byWeek[week.week] || (weeks.length ? [] : items);
      if (!group.length) { return; }
      var li = document.createElement("li");
      li.className = "cal-cadence-week-group";
      var details = document.createElement("details");
      details.open = index === 0;
      var summary = document.createElement("summary");
      summary.textContent = week.title;
      details.appendChild(summary);
      var ul = document.createElement("ul");
      group.forEach(function (item) {
        var row = document.createElement("li");
        row.className = "cal-cadence-" + item.kind;
        row.textContent = item.message;
        ul.appendChild(row);
      });
      details.appendChild(ul);
      li.appendChild(details);
      cadenceList.appendChild(li);
    });
  }

  function renderBest(slots, source, note) {
    var section = document.getElementById("cal-best-section");
    var list = document.getElementById("cal-best");
    if (!section || !list) { return; }
    var said = document.getElementById("cal-best-source");
    if (said) {  // where the times come from: the channel's own engagement or the network's pattern
      said.textContent = note || "";
      said.setAttribute("data-best-source", source || "");
    }
    list.textContent = "";
    section.hidden = !slots.length;
    slots.slice(0, 14).forEach(function (slot) {
      var li = document.createElement("li");
      li.textContent = dayAndTime(slot);
      list.appendChild(li);
    });
  }

  function fetchEvents(info, success, failure) {
    var params = filterParams();
    params.set("start", wallClock(info.start));
    params.set("end", wallClock(info.end));
    fetch(el.getAttribute("data-events-url") + "?" + params.toString(), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (data) {
      renderCadence(data.cadence || [], data.cadenceWeeks || []);
      renderBest(data.bestTimes || [], data.bestTimesSource, data.bestTimesNote);
      success(data.events);
      window.setTimeout(scrollToEarliest, 0);
    }).catch(function (error) {
      say(el.getAttribute("data-msg-loading"), "error");
      failure(error);
    });
  }

  // Campaign bars, holidays and notes carry their kind as a word, so they cannot be told apart
  // only by a colour (a campaign may well be red or yellow).
  var KIND_LABELS = {
    campaign: el.getAttribute("data-label-campaign"),
    holiday: el.getAttribute("data-label-holiday"),
    note: el.getAttribute("data-label-note")
  };

  function labelledContent(arg, label) {
    var wrap = document.createElement("div");
    wrap.className = "cal-event cal-labelled";
    var badge = document.createElement("span");
    badge.className = "cal-kind";
    badge.textContent = label;
    wrap.appendChild(badge);
    var title = document.createElement("span");
    title.className = "cal-title";
    title.textContent = arg.event.title;
    wrap.appendChild(title);
    return { domNodes: [wrap] };
  }

  function eventContent(arg) {
    var props = arg.event.extendedProps || {};
    if (KIND_LABELS[props.kind]) { return labelledContent(arg, KIND_LABELS[props.kind]); }
    if (props.kind !== "post") { return true; }  // FullCalendar's own rendering
    var wrap = document.createElement("div");
    wrap.className = "cal-event";
    if (props.mark && props.mark !== "•") {
      var mark = document.createElement("span");
      mark.className = "cal-mark cal-mark-" + props.network;
      mark.textContent = props.mark;
      mark.title = props.networkName;
      wrap.appendChild(mark);
    }
    if (arg.timeText) {
      var t = document.createElement("span");
      t.className = "cal-time";
      t.textContent = arg.timeText;
      wrap.appendChild(t);
    }
    var title = document.createElement("span");
    title.className = "cal-title";
    // the network is the mark: "Instagram · @kopi: text" reads "@kopi: text"
    var prefix = props.mark && props.mark !== "•" && props.networkName ? props.networkName + " · " : "";
    title.textContent = prefix && arg.event.title.indexOf(prefix) === 0
      ? arg.event.title.slice(prefix.length) : arg.event.title;
    wrap.appendChild(title);
    var status = document.createElement("span");
    status.className = "cal-status";
    status.textContent = props.statusLabel;
    wrap.appendChild(status);
    return { domNodes: [wrap] };
  }

  // The day header row of a list-view row.
  function listDayOf(row) {
    var r = row.previousElementSibling;
    while (r && !r.classList.contains("fc-list-day")) { r = r.previousElementSibling; }
    return r;
  }

  // A list day whose only rows were hidden (above) loses its header too.
  var tidyTimer = null;
  function tidyList() {
    window.clearTimeout(tidyTimer);
    tidyTimer = window.setTimeout(function () {
      el.querySelectorAll(".fc-list-day").forEach(function (header) {
        var visible = false;
        for (var r = header.nextElementSibling; r && !r.classList.contains("fc-list-day"); r = r.nextElementSibling) {
          if (!r.hidden) { visible = true; break; }
        }
        header.hidden = !visible;
      });
    }, 0);
  }

  function eventDidMount(arg) {
    var props = arg.event.extendedProps || {};
    arg.el.setAttribute("data-event-id", arg.event.id);
    arg.el.setAttribute("data-kind", props.kind || "");
    if (props.kind === "campaign" && props.color) {
      arg.el.style.setProperty("--cal-campaign", props.color);
    }
    // The list view repeats an event on every day it spans: say a campaign, a week's cadence
    // warning or a long note once, on its first day in the list.
    if (arg.view.type.indexOf("list") === 0 && !arg.isStart &&
        (props.kind === "campaign" || props.kind === "cadence" || props.kind === "note")) {
      var table = arg.el.closest("table");
      if (listDayOf(arg.el) !== (table && table.querySelector(".fc-list-day"))) { arg.el.hidden = true; }
      tidyList();
    }
    if (props.kind === "post") {
      var bits = [props.statusLabel, props.networkName, props.channel, props.campaign].filter(Boolean);
      arg.el.title = arg.event.title + " — " + bits.join(" · ");
      arg.el.setAttribute("data-status", props.status);
    } else if (props.kind === "note" && props.body) {
      arg.el.title = KIND_LABELS.note + ": " + arg.event.title + " — " + props.body;
    } else if (KIND_LABELS[props.kind]) {
      arg.el.title = KIND_LABELS[props.kind] + ": " + arg.event.title;
    }
  }

  function move(info) {
    var props = info.event.extendedProps;
    var body = new URLSearchParams();
    body.set("at", wallClock(info.event.start));
    if (props.variant) { body.set("variant", props.variant); }
    var url = el.getAttribute("data-move-url").replace("/posts/0/", "/posts/" + props.post + "/");
    fetch(url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRFToken": el.getAttribute("data-csrf"), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok && data.ok, data: data };
      });
    }).then(function (result) {
      if (!result.ok) {
        info.revert();
        var error = result.data && result.data.error;
        say((error && error.message) || el.getAttribute("data-msg-failed"), "error");
        return;
      }
      say(result.data.message, "success");
      calendar.refetchEvents();  // the post's other channels moved with it
    }).catch(function () {
      info.revert();
      say(el.getAttribute("data-msg-failed"), "error");
    });
  }

  function viewFor(width) { return width ? "listWeek" : "dayGridMonth"; }

  // The week view is a fixed-height scroller (24 hours at once made a very tall page). Each week
  // opens on the working morning, or on the hour of the week's earliest post if that is earlier;
  // once per week and earliest time (a refetch after a move must not pull the scroller away from
  // where the person is working).
  var WORK_START = "07:00";
  var initialView = viewFor(narrow.matches);
  // Month and list views are as tall as their content; the week's hours scroll inside about a screen.
  function heightFor(viewType) {
    return viewType.indexOf("timeGrid") === 0 ? "max(480px, calc(100vh - 120px))" : "auto";
  }
  var scrolledFor = "";
  function scrollToEarliest() {
    if (!calendar || calendar.view.type.indexOf("timeGrid") !== 0) { return; }
    var view = calendar.view;
    var earliest = WORK_START;
    calendar.getEvents().forEach(function (e) {
      if (e.allDay || e.display === "background" || !e.start) { return; }
      if (e.start < view.activeStart || e.start >= view.activeEnd) { return; }
      var hhmm = wallClock(e.start).slice(11, 16);
      if (hhmm < earliest) { earliest = hhmm; }
    });
    var key = view.type + wallClock(view.activeStart) + earliest;
    if (key === scrolledFor) { return; }
    scrolledFor = key;
    calendar.scrollToTime(earliest.slice(0, 2) + ":00:00");
  }

  // Names for FullCalendar's buttons and links, from the page (translated): its Indonesian locale
  // has none, so the arrows and view buttons were named in English or not at all.
  function hint(name) { return el.getAttribute("data-hint-" + name) || ""; }
  function unitHint(kind) {
    return function (text, unit) { return hint(kind + "-" + unit) || text; };
  }
  var VIEW_KIND = { dayGridMonth: "month", timeGridWeek: "week", listMonth: "list", listWeek: "list" };
  var hints = {
    buttonHints: { prev: unitHint("prev"), next: unitHint("next"), today: unitHint("today") },
    viewHint: function (text, viewName) { return hint("view-" + VIEW_KIND[viewName]) || text; }
  };
  [["navLinkHint", "navlink"], ["moreLinkHint", "more"], ["closeHint", "close"],
   ["timeHint", "time"], ["eventHint", "event"]].forEach(function (pair) {
    if (hint(pair[1])) { hints[pair[0]] = hint(pair[1]); }
  });

  // FullCalendar 6 draws the arrows as <span role="img"> without a text alternative (an image
  // with no name inside the button); the button is named by its hint, so the icon is decoration.
  function quietIcons() {
    el.querySelectorAll(".fc-toolbar .fc-icon[role='img']").forEach(function (icon) {
      icon.setAttribute("aria-hidden", "true");
    });
  }

  // "+N more" from the keyboard: FullCalendar opens the day's popover at the end of the calendar
  // and leaves the focus on the link (Tab then goes on to the next day, not into the popover),
  // and its close icon takes no focus. Move the focus into the popover (a dialog named by its
  // date), make the close icon a button, and bring the focus back to the link when it closes.
  var moreOpener = null;
  function openedPopover() {
    var pop = el.querySelector(".fc-more-popover") || document.querySelector(".fc-more-popover");
    if (!pop) { return; }
    pop.setAttribute("role", "dialog");
    var close = pop.querySelector(".fc-popover-close");
    if (close && !close.hasAttribute("tabindex")) {
      close.setAttribute("tabindex", "0");
      close.setAttribute("role", "button");
      close.setAttribute("aria-label", close.getAttribute("title") || "");
      close.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); close.click(); }
      });
    }
    var first = pop.querySelector(".fc-event") || close;
    if (first) { first.focus(); }
  }
  // FullCalendar draws the popover on its next render: look for it a few frames running.
  function waitForPopover(tries) {
    window.requestAnimationFrame(function () {
      if (el.querySelector(".fc-more-popover") || document.querySelector(".fc-more-popover")) { openedPopover(); }
      else if (tries < 30) { waitForPopover(tries + 1); }
    });
  }
  function popoverClosed() {
    window.setTimeout(function () {
      if (el.querySelector(".fc-more-popover") || !moreOpener) { return; }
      var back = document.contains(moreOpener) ? moreOpener : null;
      moreOpener = null;
      if (back && (document.activeElement === document.body || !document.activeElement ||
                   !document.contains(document.activeElement))) { back.focus(); }
    }, 0);
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && moreOpener) { popoverClosed(); }
  });
  el.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".fc-popover-close")) { popoverClosed(); }
  });

  var calendar = new window.FullCalendar.Calendar(el, Object.assign(hints, {
    timeZone: el.getAttribute("data-timezone") || "UTC",
    // The language's texts (buttons) and, through Intl, its dates: "en-GB" and "id-ID", 24-hour
    locale: DATES.locale || el.getAttribute("data-locale") || "en",
    firstDay: 1,
    eventTimeFormat: DATES.formats.time,
    slotLabelFormat: DATES.formats.time,
    dayPopoverFormat: DATES.formats.date,
    listDayFormat: DATES.formats.day,
    listDaySideFormat: false,
    views: {
      dayGridMonth: { titleFormat: DATES.formats.month, dayHeaderFormat: DATES.formats.weekday },
      listMonth: { titleFormat: DATES.formats.month },
      timeGridWeek: { titleFormat: DATES.formats.date, dayHeaderFormat: DATES.formats.day },
      listWeek: { titleFormat: DATES.formats.date }
    },
    initialView: initialView,
    headerToolbar: narrow.matches
      ? { left: "prev,next", center: "title", right: "today listWeek,dayGridMonth" }
      : { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listMonth" },
    height: heightFor(initialView),
    dayMaxEvents: 5,
    // "+N more" is an <a> without href that opens a popover: a button, so that its
    // aria-expanded means something (FullCalendar gives it no role).
    moreLinkDidMount: function (arg) { arg.el.setAttribute("role", "button"); },
    moreLinkClick: function (info) {
      moreOpener = info.jsEvent && info.jsEvent.target.closest ? info.jsEvent.target.closest(".fc-more-link") : null;
      waitForPopover(0);
      return "popover";
    },
    eventDisplay: "block",  // campaign colours as blocks, also for timed posts in the month grid
    nowIndicator: true,
    scrollTime: WORK_START + ":00",
    datesSet: function (info) {
      // FullCalendar's height is a calendar option, not a view's: switch it with the view
      var height = heightFor(info.view.type);
      if (calendar && calendar.getOption("height") !== height) { calendar.setOption("height", height); }
      scrolledFor = "";
      window.setTimeout(scrollToEarliest, 0);
      window.setTimeout(quietIcons, 0);
    },
    navLinks: true,
    editable: !shared,
    eventDurationEditable: false,
    eventAllow: function (dropInfo, dragged) { return dropInfo.allDay === dragged.allDay; },
    events: fetchEvents,
    eventContent: eventContent,
    eventDidMount: eventDidMount,
    eventsSet: tidyList,
    eventDrop: move,
    dateClick: (shared || !mayCompose) ? null : function (info) {
      var at = info.allDay ? wallClock(info.date).slice(0, 10) + "T09:00:00" : wallClock(info.date);
      window.location.href = el.getAttribute("data-compose-url") + "?at=" + encodeURIComponent(at);
    },
    eventClick: function (info) {
      if (!info.event.url) { info.jsEvent.preventDefault(); }
    }
  }));
  calendar.render();
  quietIcons();
  el.setAttribute("data-ready", "1");
  window.socialopsCalendar = calendar;  // for the browser tests and the console

  narrow.addEventListener("change", function (event) {
    calendar.changeView(viewFor(event.matches));
  });

  if (filtersForm) {
    filtersForm.addEventListener("change", function () {
      var params = filterParams();
      window.history.replaceState(null, "", "?" + params.toString());
      calendar.refetchEvents();
    });
    filtersForm.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.getAttribute("formaction")) { return; }  // "Share this view"
      event.preventDefault();
      calendar.refetchEvents();
    });
  }
})();
