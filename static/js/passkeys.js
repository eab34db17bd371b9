/* Passkeys: allauth's webauthn.js runs the browser's prompt. This starts it on
 * each button marked data-passkey="add" or "authenticate" (its data-credential
 * names the hidden field the answer goes in; the options are the page's
 * "js_data"), and puts its errors (a closed prompt, a bare IP address, a
 * browser without passkeys) in the page's .passkey-error box, in words.
 */
(function () {
  "use strict";

  function show(text) {
    var box = document.querySelector(".passkey-error");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
  }

  function explain(exception) {
    var name = exception && exception.name;
    if (name === "NotAllowedError" || name === "AbortError") {
      return "The passkey prompt was closed or timed out. Try again when you are ready.";
    }
    if (name === "InvalidStateError") {
      return "This device already holds a passkey for your Encore account.";
    }
    if (name === "SecurityError") {
      return "Passkeys need the site's name in the address bar (https, or http://localhost), not an IP address.";
    }
    var detail = exception && exception.message ? ": " + exception.message : ".";
    return "Your browser could not use a passkey here" + detail;
  }

  document.addEventListener("allauth.error", function (event) {
    event.preventDefault();
    show(explain(event.detail && event.detail.exception));
  });

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("[data-passkey]");
    if (!buttons.length) return;
    if (!window.PublicKeyCredential) {
      buttons.forEach(function (button) { button.disabled = true; });
      show("This browser does not support passkeys: use your authenticator app instead.");
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
