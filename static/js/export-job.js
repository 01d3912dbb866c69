// Export job page: poll the status endpoint every second and move the progress bar; when the job
// is finished, reload the page (which shows the link or the error). Without JavaScript the page
// refreshes itself (meta refresh inside <noscript>), so this only makes it smoother.
(function () {
  "use strict";
  var box = document.getElementById("export-job");
  if (!box || !window.fetch) { return; }
  var bar = document.getElementById("export-progress");
  var count = document.getElementById("export-count");
  function tick() {
    fetch(box.getAttribute("data-status-url"), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.status === "done" || s.status === "failed" || s.status === "expired") {
          window.location.reload();
          return;
        }
        if (bar && s.rows_total) { bar.max = s.rows_total; bar.value = s.rows_written; }
        if (count) { count.textContent = s.rows_written + " / " + s.rows_total; }
        window.setTimeout(tick, 1000);
      })
      .catch(function () { window.setTimeout(tick, 3000); });
  }
  window.setTimeout(tick, 500);
}());
