/*
 * The checkout page: the reservation's countdown, the card form, and the card
 * holder's authentication when their bank asks for it (3-D Secure).
 *
 * The card goes from Stripe.js's card Element to Stripe
 * (stripe.createPaymentMethod), never to Encore; the page then posts the
 * PaymentMethod's id ("pm_...") to the pay view, which confirms the payment
 * server-side. When the bank asks for authentication, the pay view answers
 * this page again with the payment's client secret (data-client-secret):
 * Stripe.js runs the bank's step (stripe.confirmCardPayment), then the page
 * posts to the "authenticated" view, which reads the payment at Stripe. The
 * same calls work with real Stripe.js and with the local stand-in. Everything
 * the script needs comes from data- attributes: no inline script. Its words
 * too: the template renders them, translated, as data-text-* (and the stand-in
 * inputs' names as data-label-*), so this file holds no English.
 */
(function () {
  "use strict";

  /* The placeholder of localstripe's stand-in input -> the data-label-* attribute
     of #card-element holding its translated name. */
  var STAND_IN_LABELS = {
    number: "data-label-number",
    exp_month: "data-label-exp-month",
    exp_year: "data-label-exp-year",
    cvc: "data-label-cvc",
    postal_code: "data-label-postal-code",
  };

  function text(element, name) {
    return (element && element.getAttribute("data-text-" + name)) || "";
  }

  function pad(number) {
    return number < 10 ? "0" + number : String(number);
  }

  /* The template renders both plural forms with a {minutes} placeholder; the
     languages Encore speaks (en, nl, de, fr, es) use the singular for 1 only
     here (0 has its own text). */
  function minutesLeftText(box, minutes) {
    if (minutes === 0) {
      return text(box, "under-a-minute");
    }
    var form = text(box, minutes === 1 ? "minutes-one" : "minutes-other");
    return form.replace("{minutes}", String(minutes));
  }

  /* The countdown to reserved_until, corrected for the gap between the
     server's clock and this computer's. The time itself is not a live region
     (a screen reader would read it every second); the note below it is, and
     changes once a minute and when the time is up. */
  function startCountdown(box, onExpired) {
    var deadline = Number(box.getAttribute("data-deadline-ms"));
    var serverNow = Number(box.getAttribute("data-server-now-ms"));
    if (!deadline) {
      return;
    }
    var skew = serverNow ? serverNow - Date.now() : 0;
    var line = box.querySelector(".countdown-line");
    var time = box.querySelector("[data-countdown-time]");
    var note = box.querySelector("[data-countdown-note]");
    /* "I need more time" (WCAG 2.2 SC 2.2.1): the server renders its form,
       hidden until the last minutes; then it shows, and the warning (an
       alert) tells screen reader users once. */
    var warning = box.querySelector("[data-countdown-warning]");
    var extendForm = box.querySelector("[data-extend-opens-ms]");
    var extendOpens = extendForm ? Number(extendForm.getAttribute("data-extend-opens-ms")) : 0;
    var lastMinutes = null;
    var timer = null;

    function expire() {
      box.classList.add("countdown-expired");
      if (extendForm) {
        extendForm.hidden = true;
      }
      if (warning) {
        warning.textContent = "";
      }
      line.textContent = text(box, "time-up");
      note.textContent = text(box, "expired");
      var listingUrl = box.getAttribute("data-listing-url");
      if (listingUrl) {
        var link = document.createElement("a");
        link.href = listingUrl;
        link.textContent = text(box, "back");
        var paragraph = document.createElement("p");
        paragraph.appendChild(link);
        box.appendChild(paragraph);
      }
      onExpired();
    }

    function tick() {
      var left = Math.max(0, Math.floor((deadline - (Date.now() + skew)) / 1000));
      var minutes = Math.floor(left / 60);
      time.textContent = minutes + ":" + pad(left % 60);
      if (left <= 0) {
        window.clearInterval(timer);
        expire();
        return;
      }
      if (extendForm && extendForm.hidden && extendOpens && Date.now() + skew > extendOpens) {
        extendForm.hidden = false;
        if (warning) {
          warning.textContent = text(box, "extend-warning");
        }
      }
      if (lastMinutes !== null && minutes !== lastMinutes) {
        note.textContent = minutesLeftText(box, minutes);
      }
      lastMinutes = minutes;
    }

    timer = window.setInterval(tick, 1000);
    tick();
  }

  /* localstripe's stand-in renders bare inputs with placeholders only:
     give them names a screen reader can say (real Stripe labels its own). */
  function labelStandInInputs(container) {
    var inputs = container.querySelectorAll("input[placeholder]");
    Array.prototype.forEach.call(inputs, function (input) {
      var attribute = STAND_IN_LABELS[input.getAttribute("placeholder")];
      var label = attribute ? container.getAttribute(attribute) : "";
      if (label) {
        input.setAttribute("aria-label", label);
        input.setAttribute("inputmode", "numeric");
        input.setAttribute("autocomplete", "off");
      }
    });
  }

  function setupCardForm(form) {
    var errors = document.getElementById("card-errors");
    var button = document.getElementById("pay-button");
    var hidden = document.getElementById("payment-method-id");
    var mount = document.getElementById("card-element");
    var state = { busy: false, expired: false, stripe: null };

    function showError(message) {
      errors.textContent = message;
      mount.parentNode.classList.toggle("field-error", Boolean(message));
    }

    function ready() {
      state.busy = false;
      button.disabled = state.expired;
      button.removeAttribute("aria-busy");
    }

    if (typeof window.Stripe !== "function") {
      showError(text(form, "load-failed"));
      button.disabled = true;
      return state;
    }
    var stripe = window.Stripe(form.getAttribute("data-stripe-key"));
    state.stripe = stripe;
    var card = stripe.elements().create("card");
    card.mount(mount);
    labelStandInInputs(mount);
    card.on("change", function (event) {
      showError(event && event.error ? event.error.message : "");
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (state.busy || state.expired) {
        return;
      }
      state.busy = true;
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      showError("");
      Promise.resolve()
        .then(function () {
          return stripe.createPaymentMethod({ type: "card", card: card });
        })
        .then(
          function (result) {
            if (!result || result.error || !result.paymentMethod) {
              var error = (result && result.error) || {};
              showError(error.message || text(form, "not-checked"));
              ready();
              return;
            }
            hidden.value = result.paymentMethod.id;
            form.submit(); // a normal POST: the server answers with the next page
          },
          function () {
            showError(text(form, "incomplete"));
            ready();
          }
        );
    });
    return state;
  }

  /* The bank asks the card holder to authenticate: Stripe.js runs its step
     (a window of the bank's, or the stand-in's dialog), then the server reads
     the payment again, whatever the outcome; it says what happened. */
  function setupAuthentication(panel, stripe) {
    var secret = panel.getAttribute("data-client-secret");
    var button = document.getElementById("authenticate-button");
    var status = document.getElementById("authenticate-status");
    var done = document.getElementById("authenticated-form");
    var busy = false;
    if (!secret || !stripe || !done) {
      return;
    }

    function authenticate() {
      if (busy) {
        return;
      }
      busy = true;
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      status.textContent = text(panel, "waiting");
      document.body.classList.add("bank-check-open");
      Promise.resolve()
        .then(function () {
          return stripe.confirmCardPayment(secret);
        })
        .then(
          function () {
            document.body.classList.remove("bank-check-open");
            status.textContent = text(panel, "checking");
            done.submit();
          },
          function () {
            document.body.classList.remove("bank-check-open");
            done.submit();
          }
        );
    }

    button.addEventListener("click", authenticate);
    if (panel.getAttribute("data-autostart") === "true") {
      authenticate();
    }
  }

  var form = document.getElementById("payment-form");
  var state = form ? setupCardForm(form) : null;
  var panel = document.getElementById("authenticate-panel");
  if (panel && state) {
    setupAuthentication(panel, state.stripe);
  }
  var countdown = document.getElementById("countdown");
  if (countdown) {
    startCountdown(countdown, function () {
      if (form && state) {
        state.expired = true;
        document.getElementById("pay-button").disabled = true;
        form.classList.add("payment-form-expired");
      }
    });
  }
})();
