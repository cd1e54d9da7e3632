/* The admin's export page (templates/admin/import_export/export.html): the "select all" box, wired here
   instead of an onchange attribute; onSelectToggleChange is django-import-export's own function. */
document.addEventListener("change", function (event) {
  if (event.target.matches(".select-toggle") && typeof onSelectToggleChange === "function") {
    onSelectToggleChange(event);
  }
});
