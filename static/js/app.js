// Page behaviour without inline handlers (the Content-Security-Policy allows scripts from our own
// static files only): <select data-autosubmit> submits its form on change; a checkbox with
// data-select-all="NAME" ticks or clears every checkbox named NAME; a form with
// data-reset-on-success is cleared after htmx submitted it successfully.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("[data-autosubmit]") && el.form) {
    el.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var el = event.target;
  if (el.matches && el.matches("input[type=checkbox][data-select-all]")) {
    var name = el.getAttribute("data-select-all");
    document.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      if (box.name === name) box.checked = el.checked;
    });
  }
});
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.target;
  if (form.matches && form.matches("form[data-reset-on-success]") && event.detail.successful) {
    form.reset();
  }
});
