/* Écoute — draws every dashboard chart (one static file: the CSP allows no inline script).
 *
 * Each chart is a <div data-figure="ID"> next to a <script type="application/json" id="ID">
 * written by Django's json_script; the JSON is {data, layout, config} from analysis/charts.py.
 * plotly.js is the vendored static/vendor/plotly.min.js (no CDN). Without JavaScript, the
 * data table under each chart stays available.
 */
(function () {
  "use strict";
  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source || !window.Plotly) { return; }
    var fig;
    try { fig = JSON.parse(source.textContent); } catch (e) { return; }
    window.Plotly.newPlot(el, fig.data || [], fig.layout || {}, fig.config || {});
  }
  function drawAll() {
    var nodes = document.querySelectorAll("[data-figure]");
    for (var i = 0; i < nodes.length; i++) { draw(nodes[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
