/*
 * An offer from the waiting list: the time left to buy, counted down.
 *
 * The page already says when the offer ends ("until 14:35 CET"): without
 * JavaScript nothing is missing. This adds the minutes and seconds left,
 * corrected for the gap between the server's clock and this computer's.
 * The seconds are for the eyes only (aria-hidden); the note below them is a
 * polite live region that changes at most once a minute, and when the time
 * is up. Everything comes from data- attributes, the words too (data-text-*,
 * translated by the page; "{minutes}" and "{time}" are filled in here): no
 * inline script.
 */
(function () {
  "use strict";

  function pad(number) {
    return number < 10 ? "0" + number : String(number);
  }

  function text(box, name) {
    return box.getAttribute("data-text-" + name) || "";
  }

  function minutesLeftText(box, minutes) {
    if (minutes === 0) {
      return text(box, "under-a-minute");
    }
    var words = text(box, minutes === 1 ? "minutes-one" : "minutes-other");
    return words.replace("{minutes}", String(minutes));
  }

  function start(box) {
    var deadline = Number(box.getAttribute("data-deadline-ms"));
    var serverNow = Number(box.getAttribute("data-server-now-ms"));
    var time = box.querySelector("[data-countdown-time]");
    var note = box.querySelector("[data-countdown-note]");
    if (!deadline || !time || !note) {
      return;
    }
    var skew = serverNow ? serverNow - Date.now() : 0;
    var lastMinutes = null;
    var timer = null;
    time.hidden = false;

    function expire() {
      box.classList.add("countdown-expired");
      time.textContent = " " + text(box, "time-up");
      note.textContent = text(box, "expired");
      var buttons = document.querySelectorAll("[data-offer-buy]");
      Array.prototype.forEach.call(buttons, function (button) {
        button.disabled = true;
      });
    }

    function tick() {
      var left = Math.max(0, Math.floor((deadline - (Date.now() + skew)) / 1000));
      var minutes = Math.floor(left / 60);
      time.textContent = " " + text(box, "time-left").replace("{time}", minutes + ":" + pad(left % 60));
      if (left <= 0) {
        window.clearInterval(timer);
        expire();
        return;
      }
      if (lastMinutes !== null && minutes !== lastMinutes) {
        note.textContent = minutesLeftText(box, minutes);
      }
      lastMinutes = minutes;
    }

    timer = window.setInterval(tick, 1000);
    tick();
  }

  var box = document.getElementById("offer-countdown");
  if (box) {
    start(box);
  }
})();
