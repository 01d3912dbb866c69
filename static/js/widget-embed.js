/*
 * Écoute — embeds the "your opinion on this page" widget.
 *
 *   <script src="https://<ecoute host>/w/<survey slug>/embed.js" async
 *           data-q="SAT_WEB" data-categorie="general_public" data-langue="fr"></script>
 *
 * Inserts, right after this script tag, an iframe showing /w/<slug>/?page=<this page>. Only the
 * page's origin and path are sent (never its query string or fragment). All data-* attributes are
 * optional. Without JavaScript, paste an <iframe src="https://<host>/w/<slug>/?page=..."> instead.
 * The embedding page's own Content-Security-Policy must allow this script (script-src) and the
 * frame (frame-src), and the Écoute server must list the site in WIDGET_FRAME_ANCESTORS.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || !window.URL || !window.URLSearchParams) {
    return;
  }
  var base = new URL(script.src);
  base.pathname = base.pathname.replace(/embed\.js$/, "");
  base.search = "";
  base.hash = "";
  var params = new URLSearchParams();
  params.set("page", window.location.origin + window.location.pathname);
  ["q", "categorie", "langue"].forEach(function (name) {
    var value = script.getAttribute("data-" + name);
    if (value) {
      params.set(name, value);
    }
  });
  var english = (script.getAttribute("data-langue") || document.documentElement.lang || "").slice(0, 2) === "en";
  if (english && !params.has("langue")) {
    params.set("langue", "en");
  }
  var frame = document.createElement("iframe");
  frame.src = base.toString() + "?" + params.toString();
  frame.title = english ? "Your opinion on this page" : "Votre avis sur cette page";
  frame.className = "ecoute-widget";
  frame.setAttribute("loading", "lazy");
  frame.style.width = "100%";
  frame.style.maxWidth = "40rem";
  frame.style.height = (parseInt(script.getAttribute("data-hauteur"), 10) || 480) + "px";
  frame.style.border = "0";
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
