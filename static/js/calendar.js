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

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // The wall-clock time of a UTC-coerced Date, as "YYYY-MM-DDTHH:MM:SS" (no offset).
  function wallClock(d) {
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + "T" +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }

  var messageTimer = null;
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

  function renderCadence(items) {
    if (!cadenceList) { return; }
    cadenceList.textContent = "";
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = el.getAttribute("data-msg-none") || "";
      cadenceList.appendChild(none);
      return;
    }
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "cal-cadence-" + item.kind;
      li.textContent = item.message;
      cadenceList.appendChild(li);
    });
  }

  function renderBest(slots) {
    var section = document.getElementById("cal-best-section");
    var list = document.getElementById("cal-best");
    if (!section || !list) { return; }
    list.textContent = "";
    section.hidden = !slots.length;
    slots.slice(0, 14).forEach(function (slot) {
      var li = document.createElement("li");
      li.textContent = slot.replace("T", " ").slice(0, 16);
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
      renderCadence(data.cadence || []);
      renderBest(data.bestTimes || []);
      success(data.events);
    }).catch(function (error) {
      say(el.getAttribute("data-msg-loading"), "error");
      failure(error);
    });
  }

  function eventContent(arg) {
    var props = arg.event.extendedProps || {};
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
    title.textContent = arg.event.title;
    wrap.appendChild(title);
    var status = document.createElement("span");
    status.className = "cal-status";
    status.textContent = props.statusLabel;
    wrap.appendChild(status);
    return { domNodes: [wrap] };
  }

  function eventDidMount(arg) {
    var props = arg.event.extendedProps || {};
    arg.el.setAttribute("data-event-id", arg.event.id);
    if (props.kind === "post") {
      var bits = [props.statusLabel, props.networkName, props.channel, props.campaign].filter(Boolean);
      arg.el.title = arg.event.title + " — " + bits.join(" · ");
      arg.el.setAttribute("data-status", props.status);
    } else if (props.kind === "note" && props.body) {
      arg.el.title = arg.event.title + " — " + props.body;
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

  var calendar = new window.FullCalendar.Calendar(el, {
    timeZone: el.getAttribute("data-timezone") || "UTC",
    locale: el.getAttribute("data-locale") || "en",
    firstDay: 1,
    initialView: viewFor(narrow.matches),
    headerToolbar: narrow.matches
      ? { left: "prev,next", center: "title", right: "today listWeek,dayGridMonth" }
      : { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listMonth" },
    height: "auto",
    dayMaxEvents: 4,
    eventDisplay: "block",  // campaign colours as blocks, also for timed posts in the month grid
    nowIndicator: true,
    scrollTime: "08:00:00",
    navLinks: true,
    editable: !shared,
    eventDurationEditable: false,
    eventAllow: function (dropInfo, dragged) { return dropInfo.allDay === dragged.allDay; },
    events: fetchEvents,
    eventContent: eventContent,
    eventDidMount: eventDidMount,
    eventDrop: move,
    dateClick: (shared || !mayCompose) ? null : function (info) {
      var at = info.allDay ? wallClock(info.date).slice(0, 10) + "T09:00:00" : wallClock(info.date);
      window.location.href = el.getAttribute("data-compose-url") + "?at=" + encodeURIComponent(at);
    },
    eventClick: function (info) {
      if (!info.event.url) { info.jsEvent.preventDefault(); }
    }
  });
  calendar.render();
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
