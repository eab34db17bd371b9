/* Sell pages: the allowed price range and the seller's payout, live as the seller types.
 *
 * The numbers come from the server (listings:price-range), which uses the same
 * pricing functions as the listing services: what this shows is what they accept.
 * Its own words come translated from the page (data-text-* on [data-price-range]).
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-price-range-url]");
  if (!form) return;

  var url = form.getAttribute("data-price-range-url");
  var faceInput = form.querySelector("input[name='face_value']");
  // An event with price tiers: the face value is the chosen tier's.
  var tierSelect = form.querySelector("select[name='tier']");
  var fixedFace = form.getAttribute("data-face-value");
  // The unavoidable fees paid with the ticket (a tier's): the original price's part.
  var fixedFees = form.getAttribute("data-fees");
  var priceInput = form.querySelector("input[name='price']");
  var region = form.querySelector("[data-price-range]");
  if (!priceInput || !region) return;
  var rangeText = region.querySelector("[data-range-text]");
  var chooseTierText = region.getAttribute("data-text-choose-tier") || "";
  var enterFaceValueText = region.getAttribute("data-text-enter-face-value") || "";
  var payoutText = region.querySelector("[data-payout-text]");

  var DELAY_MS = 250;
  var timer = null;
  var controller = null;
  var lastQuery = null;

  function amount(input) {
    return input ? input.value.trim().replace(",", ".") : "";
  }

  function show(range, payout, off) {
    if (rangeText.textContent !== range) rangeText.textContent = range;
    if (payoutText.textContent !== payout) payoutText.textContent = payout;
    payoutText.classList.toggle("price-range-off", Boolean(off));
  }

  function faceValue() {
    if (tierSelect) {
      var option = tierSelect.options[tierSelect.selectedIndex];
      return (option && option.getAttribute("data-face-value")) || "";
    }
    return faceInput ? amount(faceInput) : fixedFace || "";
  }

  function fees() {
    if (tierSelect) {
      var option = tierSelect.options[tierSelect.selectedIndex];
      return (option && option.getAttribute("data-fees")) || "";
    }
    return fixedFees || "";
  }

  function update() {
    var face = faceValue();
    var price = amount(priceInput);
    var params = new URLSearchParams({ face_value: face });
    if (fees()) params.set("fees", fees());
    if (price) params.set("price", price);
    var query = params.toString();
    if (query === lastQuery) return;
    lastQuery = query;
    if (!face || !(Number(face) > 0)) {
      show(tierSelect ? chooseTierText : enterFaceValueText, payoutText.textContent, false);
      return;
    }
    if (controller) controller.abort();
    controller = "AbortController" in window ? new AbortController() : null;
    fetch(url + "?" + query, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (data) {
        if (data.errors) {
          show(data.range_text, payoutText.textContent, false);
          return;
        }
        show(data.range_text, data.payout_text, data.price_check && data.price_check !== "ok");
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") return;
        lastQuery = null; // try again on the next keystroke
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, DELAY_MS);
  }

  [faceInput, tierSelect, priceInput].forEach(function (input) {
    if (!input) return;
    input.addEventListener("input", schedule);
    input.addEventListener("change", update);
  });
  if (amount(priceInput) || faceValue()) update();

  // After a refused submit, take the keyboard to the list of errors.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
})();
