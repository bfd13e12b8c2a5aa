// Focal-point picker for the media detail page (no inline script: CSP). Without JS the numeric form works.
// A click on the picture fills the form's two fields (0..1 across and down), moves the marker and submits.
(function () {
  function setup(picker) {
    var img = picker.querySelector("[data-focal-image]");
    var marker = picker.querySelector("[data-focal-marker]");
    var form = document.querySelector("[data-focal-form]");
    if (!img || !form || !picker.hasAttribute("data-editable")) { return; }
    var fx = form.querySelector("input[name=focal_x]");
    var fy = form.querySelector("input[name=focal_y]");
    picker.classList.add("focal-active");
    img.addEventListener("click", function (event) {
      var box = img.getBoundingClientRect();
      if (!box.width || !box.height) { return; }
      var x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
      var y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
      fx.value = x.toFixed(3);
      fy.value = y.toFixed(3);
      if (marker) {
        marker.setAttribute("cx", (x * 100).toFixed(2) + "%");
        marker.setAttribute("cy", (y * 100).toFixed(2) + "%");
      }
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var pickers = document.querySelectorAll("[data-focal-picker]");
    for (var i = 0; i < pickers.length; i++) { setup(pickers[i]); }
  });
})();
