/* Keeps the note of the "log a contact" form as a draft in this browser until it is saved.
 *
 * The form carries data-draft-key (user and case); every keystroke stores the note under that key,
 * a page load restores it into an empty note field, and the panel that comes back after a
 * successful save (it holds [data-contact-saved]) clears it. So a note typed before an expired
 * session, a lost connection or a closed tab is still there when the collector comes back.
 */
(function () {
  "use strict";

  function store() {
    try {
      return window.localStorage;
    } catch (e) {
      return null;
    }
  }

  function bind() {
    var form = document.getElementById("contact-form");
    if (!form || form.dataset.draftBound) return;
    form.dataset.draftBound = "1";
    var key = form.dataset.draftKey;
    var note = form.querySelector("textarea[name=note]");
    var storage = store();
    if (!key || !note || !storage) return;
    var panel = document.getElementById("contact-panel");
    if (panel && panel.querySelector("[data-contact-saved]")) {
      storage.removeItem(key);
    } else {
      var draft = storage.getItem(key);
      if (draft && !note.value) {
        note.value = draft;
        var hint = document.createElement("span");
        hint.className = "muted small draft-restored";
        hint.setAttribute("role", "status");
        hint.textContent = form.dataset.draftRestored || "";
        note.insertAdjacentElement("afterend", hint);
      }
    }
    note.addEventListener("input", function () {
      if (note.value.trim()) storage.setItem(key, note.value);
      else storage.removeItem(key);
    });
  }

  document.addEventListener("DOMContentLoaded", bind);
  document.addEventListener("htmx:load", bind);

  // A form marked data-reset-on-success is cleared after a successful htmx submit, except when the
  // answer says the input was refused (header X-Note-Error: a note over the limit): then the typed
  // text is put back, also if another handler has already cleared the form.
  var typed = new WeakMap();
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (form.matches && form.matches("form[data-reset-on-success]")) {
      typed.set(form, Array.prototype.map.call(form.elements, function (el) { return el.value; }));
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-reset-on-success]") || !event.detail.successful) return;
    if (event.detail.xhr && event.detail.xhr.getResponseHeader("X-Note-Error")) {
      var values = typed.get(form) || [];
      window.setTimeout(function () {
        Array.prototype.forEach.call(form.elements, function (el, i) {
          if (el.name && el.name !== "csrfmiddlewaretoken" && values[i] !== undefined) el.value = values[i];
        });
      }, 0);
    } else {
      form.reset();
    }
  });

  // An outcome that stops collection contact (select[data-stop-outcomes]) shows the confirmation
  // box at once; the server still refuses it until "I confirm" is ticked. No inline handlers.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-stop-outcomes]")) return;
    var box = document.getElementById("stop-confirm");
    if (box) box.hidden = select.dataset.stopOutcomes.split(" ").indexOf(select.value) < 0;
  });
})();
