/* Charts (analytics/charts/): draws every [data-vega-spec] container from the JSON its
   json_script element holds, with Vega's expression interpreter (ast: true) so the strict CSP
   (no eval, no new Function) holds. The figures stay in the table beside each chart. */
(function () {
  "use strict";

  function draw(container) {
    if (container.dataset.vegaDrawn) return;
    var source = document.getElementById(container.dataset.vegaSpec);
    if (!source || typeof window.vegaEmbed !== "function" || !window.vegaInterpreter) return;
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (e) {
      return;
    }
    container.dataset.vegaDrawn = "1";
    var meta = spec.usermeta || {};
    window
      .vegaEmbed(container, spec, {
        // the page's language's decimal mark and grouping (analytics/charts/specs.py), as in the PDF
        formatLocale: meta.formatLocale || undefined,
        mode: "vega-lite",
        renderer: "svg",
        actions: false,
        // vega-embed's and vega-tooltip's default styles are <style> elements the CSP refuses;
        // static/css/analytics.css styles the chart and its tooltip instead
        defaultStyle: false,
        tooltip: { disableDefaultStyle: true },
        // the parser keeps each expression's syntax tree and the interpreter walks it: no
        // code generated at run time (static/vendor/vega/vega-interpreter-2.2.1.js)
        ast: true,
        expr: window.vegaInterpreter.expressionInterpreter,
      })
      .then(function () {
        container.classList.add("vega-chart-ready");
      })
      .catch(function (error) {
        container.classList.add("vega-chart-failed");
        if (window.console) console.warn("chart not drawn:", error);
      });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-vega-spec]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawAll(document);
  });
  // a part of the page htmx swaps in may hold charts too
  document.addEventListener("htmx:afterSettle", function (event) {
    drawAll(event.target);
  });
})();
