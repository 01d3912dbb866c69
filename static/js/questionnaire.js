// Progressive enhancement only: the questionnaire works without JavaScript.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // The next step comes in the response of the previous step's POST (no redirect): show the
    // step's own URL, so that reload, back and bookmarks are plain GETs of that step.
    var stepForm = document.querySelector("form.step-form[data-step-url]");
    if (stepForm && window.history.replaceState && stepForm.getAttribute("data-step-url") !== window.location.pathname) {
      window.history.replaceState(null, "", stepForm.getAttribute("data-step-url"));
    }
    // RGAA 11.10 / 8.6: on a failed step, the error summary takes focus; otherwise the step heading.
    var summary = document.getElementById("error-summary");
    var heading = document.getElementById("step-heading");
    if (summary) { summary.focus(); }
    else if (heading && document.referrer && document.referrer.indexOf(window.location.host) !== -1) { heading.focus(); }
    // Prevent accidental double submission (the server is idempotent anyway).
    Array.prototype.forEach.call(document.querySelectorAll("form.step-form"), function (form) {
      form.addEventListener("submit", function () {
        window.setTimeout(function () {
          Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) { b.disabled = true; });
        }, 0);
      });
    });
    // Live character count for free text.
    Array.prototype.forEach.call(document.querySelectorAll("textarea[maxlength]"), function (area) {
      var hint = document.getElementById(area.id + "-limit");
      if (!hint) { return; }
      var max = parseInt(area.getAttribute("maxlength"), 10);
      var counter = document.createElement("span");
      counter.className = "char-count";
      counter.setAttribute("aria-live", "polite");
      hint.appendChild(document.createTextNode(" "));
      hint.appendChild(counter);
      var update = function () { counter.textContent = (max - area.value.length) + " / " + max; };
      area.addEventListener("input", update);
      update();
    });
  });
})();
