/* Passkeys: allauth's webauthn.js runs the browser's prompt. This starts it on
 * each button marked data-passkey="add" or "authenticate" (its data-credential
 * names the hidden field the answer goes in; the options are the page's
 * "js_data"), and puts its errors (a closed prompt, a bare IP address, a
 * browser without passkeys) in the page's .passkey-error box, in words. The
 * words come from that box's data attributes, translated by the template
 * (mfa/_passkey_error.html): this script holds no text of its own.
 */
(function () {
  "use strict";

  // key: the box's data attribute (data-closed, data-failed-detail...);
  // detail: put in place of its {detail}.
  function show(key, detail) {
    var box = document.querySelector(".passkey-error");
    if (!box) return;
    var text = box.dataset[key] || "";
    // A function, so a "$" in the browser's message is taken as it is.
    box.textContent = text.replace("{detail}", function () { return detail || ""; });
    box.hidden = false;
  }

  function explain(exception) {
    var name = exception && exception.name;
    if (name === "NotAllowedError" || name === "AbortError") {
      show("closed");
    } else if (name === "InvalidStateError") {
      show("exists");
    } else if (name === "SecurityError") {
      show("insecure");
    } else if (exception && exception.message) {
      show("failedDetail", exception.message);
    } else {
      show("failed");
    }
  }

  document.addEventListener("allauth.error", function (event) {
    event.preventDefault();
    explain(event.detail && event.detail.exception);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("[data-passkey]");
    if (!buttons.length) return;
    if (!window.PublicKeyCredential) {
      buttons.forEach(function (button) { button.disabled = true; });
      show("unsupported");
      return;
    }
    var forms = window.allauth.webauthn.forms;
    buttons.forEach(function (button) {
      var ids = { credential: button.getAttribute("data-credential"), data: "js_data" };
      if (button.getAttribute("data-passkey") === "add") {
        ids.add = button.id;
        forms.addForm({ ids: ids });
      } else {
        ids.authenticate = button.id;
        forms.authenticateForm({ ids: ids });
      }
    });
  });
})();
