// 暖心驿站 kiosk behaviour. No inline scripts: every page loads this file and it looks for
// data- attributes to decide what to do.
(function () {
  "use strict";

  // --- Idle reset: a kiosk screen left alone warns, then goes back to the start. -------------
  function setUpIdleReset() {
    var body = document.body;
    if (!body.dataset.idleSeconds) return;
    var idleMs = Number(body.dataset.idleSeconds) * 1000;
    var warnSeconds = Math.max(20, Number(body.dataset.idleWarningSeconds || 30));
    var homeUrl = body.dataset.homeUrl;
    var dialog = document.getElementById("idle-warning");
    var count = dialog && dialog.querySelector("[data-idle-count]");
    var stay = dialog && dialog.querySelector("[data-idle-stay]");
    var idleTimer = null, tickTimer = null, left = warnSeconds;

    function goHome() { window.location.assign(homeUrl); }
    function tick() {
      left -= 1;
      if (count) count.textContent = String(left);
      if (left <= 0) { clearInterval(tickTimer); goHome(); }
    }
    function warn() {
      if (!dialog) { goHome(); return; }
      left = warnSeconds;
      if (count) count.textContent = String(left);
      dialog.hidden = false;
      if (stay) stay.focus();
      tickTimer = setInterval(tick, 1000);
    }
    function reset() {
      clearTimeout(idleTimer);
      clearInterval(tickTimer);
      if (dialog) dialog.hidden = true;
      idleTimer = setTimeout(warn, idleMs);
    }
    ["pointerdown", "keydown", "touchstart", "input"].forEach(function (name) {
      document.addEventListener(name, reset, { capture: true, passive: true });
    });
    document.addEventListener("kiosk:activity", reset);
    if (stay) stay.addEventListener("click", reset);
    reset();
  }

  document.addEventListener("DOMContentLoaded", setUpIdleReset);
})();
