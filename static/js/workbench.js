// The workbench's question editor: show only the options of the chosen type. Without this script
// every option stays visible and the server says which ones a type takes (progressive enhancement).
(function () {
  "use strict";
  // After a refused post, the error summary takes the focus (as on a questionnaire step).
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  var type = document.getElementById("id_type");
  if (!type) return;
  var blocks = document.querySelectorAll(".wb-for[data-types]");
  function update() {
    blocks.forEach(function (block) {
      var wanted = block.getAttribute("data-types").split(" ").indexOf(type.value) !== -1;
      var hasError = block.querySelector("[aria-invalid=true], .errorlist, .error-text");
      block.hidden = !wanted && !hasError;
    });
  }
  type.addEventListener("change", update);
  update();
})();
