// The workbench's question editor: show only the options of the chosen type. Without this script
// every option stays visible and the server says which ones a type takes (progressive enhancement).
(function () {
  "use strict";
  // After a refused post, the error summary takes the focus (as on a questionnaire step).
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  // Condition builder: under each row, the values its chosen question takes (read from the list
  // the server renders below the rows, so the script adds no text of its own).
  document.querySelectorAll(".wb-builder .wb-row").forEach(function (row) {
    var select = row.querySelector("select[name$='-question']");
    if (!select) return;
    var hint = document.createElement("p");
    hint.className = "help";
    hint.setAttribute("aria-live", "polite");
    row.appendChild(hint);
    function show() {
      var dd = Array.prototype.find.call(document.querySelectorAll(".wb-codes dd[data-code]"),
        function (d) { return d.getAttribute("data-code") === select.value; });
      hint.textContent = dd ? select.value + " — " + dd.textContent : "";
    }
    select.addEventListener("change", show);
    show();
  });
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
