// Custom dashboards' arrangement (templates/analytics/dashboards/edit.html): drag a widget with
// SortableJS (vendored) and the new order is saved; the Earlier/Later buttons do the same without
// a script or a mouse. No inline script: the CSP forbids it.
(function () {
  var list = document.getElementById("widget-arrange");
  if (!list || typeof Sortable === "undefined") { return; }
  var status = document.getElementById("arrange-status");
  function say(text) { if (status) { status.textContent = text || ""; } }
  function order() {
    return Array.prototype.map.call(list.querySelectorAll("[data-widget]"), function (li) {
      return li.getAttribute("data-widget");
    });
  }
  var saved = order();
  Sortable.create(list, {
    handle: ".drag-handle",
    draggable: "[data-widget]",
    animation: 150,
    onEnd: function () {
      var now = order();
      if (now.join(",") === saved.join(",")) { return; }
      var body = new URLSearchParams();
      body.set("order", now.join(","));
      fetch(list.getAttribute("data-arrange-url"), {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "X-CSRFToken": list.getAttribute("data-csrf"), "Accept": "application/json" }
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { ok: response.ok && data.ok, data: data };
        });
      }).then(function (result) {
        if (!result.ok) {
          say((result.data.error && result.data.error.message) || list.getAttribute("data-msg-failed"));
          window.location.reload();
          return;
        }
        saved = now;
        say(result.data.message);
      }).catch(function () {
        say(list.getAttribute("data-msg-failed"));
        window.location.reload();
      });
    }
  });
})();
