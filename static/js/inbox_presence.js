// Inbox conversation: tell the others on this conversation that you are typing a reply.
// The presence box (#presence) polls with htmx every few seconds; while the reply box changes, the
// hidden #typing-flag says so in the next heartbeat, and a keystroke sends one at once if none went
// out in the last few seconds (debounced). No inline JS (CSP); without this script presence still
// shows who is viewing.
(function () {
  "use strict";
  var EVERY_MS = 3000;

  function start() {
    var box = document.getElementById("presence");
    var flag = document.getElementById("typing-flag");
    var reply = document.querySelector("#reply-form textarea");
    if (!box || !flag || !reply || !window.htmx) { return; }
    var lastSent = 0;
    reply.addEventListener("input", function () {
      flag.value = "1";
      var now = Date.now();
      if (now - lastSent >= EVERY_MS) {
        lastSent = now;
        window.htmx.trigger(box, "typing");
      }
    });
    box.addEventListener("htmx:afterRequest", function () {
      flag.value = "";
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
