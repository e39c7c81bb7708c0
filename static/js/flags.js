// Flag queue: "tick all" and the count of ticked flags. The table is swapped by htmx, so listen on the document.
(function () {
  function boxes() {
    return Array.from(document.querySelectorAll('input[name="ids"][form="bulk-review"]'));
  }
  function update() {
    var label = document.querySelector("[data-selected-count]");
    if (!label) return;
    var n = boxes().filter(function (b) { return b.checked; }).length;
    if (!label.dataset.empty) label.dataset.empty = label.textContent;
    label.textContent = n ? label.dataset.tickedTemplate.replace("%n", n) : label.dataset.empty;
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      boxes().forEach(function (b) { b.checked = target.checked; });
    }
    if (target.matches("[data-select-all], input[name=\"ids\"]")) update();
  });
  document.addEventListener("htmx:afterSwap", update);
})();
