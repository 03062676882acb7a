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
})();
