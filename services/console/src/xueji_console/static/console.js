// Behaviour without inline script (the CSP forbids it): select-all boxes and confirmations.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (box.matches && box.matches("input[data-select-all]")) {
    document.querySelectorAll("input[name='" + box.dataset.selectAll + "']").forEach(function (b) { b.checked = box.checked; });
  }
});
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (question && !window.confirm(question)) { event.preventDefault(); }
});
// A select with data-reveals shows the element of that id while "correct" is chosen (修正's fields).
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select.matches && select.matches("select[data-reveals]")) {
    var part = document.getElementById(select.dataset.reveals);
    if (part) { part.hidden = select.value !== "correct"; }
  }
});
// Inputs shown only for some choices: data-shown-when="select_id:value,value" (特教 proof types).
// An input with a service error stays shown, whatever the choice.
function applyShownWhen() {
  document.querySelectorAll("[data-shown-when]").forEach(function (part) {
    var rule = part.dataset.shownWhen.split(":");
    var select = document.getElementById(rule[0]);
    if (!select) { return; }
    var wanted = rule[1].split(",").indexOf(select.value) >= 0;
    part.hidden = !wanted && !part.querySelector("[aria-invalid='true']");
  });
}
document.addEventListener("DOMContentLoaded", applyShownWhen);
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("select")) { applyShownWhen(); }
});
