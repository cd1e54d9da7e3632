/*
 * The portal's small behaviours, from data-* attributes (the Content-Security-Policy allows no inline
 * script and no on…= attribute):
 *   <form data-confirm="…">                     asks before submitting; Cancel keeps the page as it is
 *   <form data-confirm="…" data-confirm-when="action=reject">   asks only when that field has that value
 *   <button data-print>                         prints the page
 *   <select data-autosubmit>                    submits its form when the choice changes
 *   <input data-select-on-focus>                selects its text on focus (a link to copy)
 * Listeners sit on the document, so content htmx swaps in later behaves the same.
 */
(function () {
  "use strict";

  function needsConfirm(form) {
    var when = form.getAttribute("data-confirm-when");
    if (!when) return true;
    var pair = when.split("=");
    var field = form.elements[pair[0]];
    return !!field && field.value === pair[1];
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (needsConfirm(form) && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) select.form.submit();
  });

  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[data-select-on-focus]")) input.select();
  });
})();
