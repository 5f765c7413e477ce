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

  // --- Scanning: a barcode scanner typing into the page, or the camera. ----------------------
  // A scanner "types" a whole code in a few milliseconds; a person cannot. A fast burst of at
  // least MIN_CODE characters is a scan, whether or not the scanner ends it with Enter.
  var MIN_CODE = 6;
  var BURST_GAP_MS = 60;      // longest pause between two keys of one scan
  var BURST_SETTLE_MS = 150;  // quiet time after which a burst without Enter counts as done
  var SAME_CODE_MS = 5000;    // the camera sees the same badge many times a second: send it once

  function setUpScanForm(form) {
    var input = form.querySelector("[data-scanner-input]");
    var method = form.querySelector("[data-scan-method]");
    var lastCode = "", lastSentAt = 0, settleTimer = null, lastKeyAt = 0, burstFast = true;
    var visibleInput = input && input.type !== "hidden";

    function send(code, how) {
      code = (code || "").trim();
      if (code.length < MIN_CODE) return;
      var now = Date.now();
      if (code === lastCode && now - lastSentAt < SAME_CODE_MS) return;
      lastCode = code; lastSentAt = now;
      input.value = code;
      if (method) method.value = how;
      document.dispatchEvent(new CustomEvent("kiosk:activity"));
      form.requestSubmit();
    }
    form.kioskSend = send;

    if (visibleInput) {
      input.addEventListener("keydown", function (event) {
        var now = Date.now();
        if (now - lastKeyAt > BURST_GAP_MS && input.value === "") burstFast = true;
        else if (now - lastKeyAt > BURST_GAP_MS) burstFast = false;
        lastKeyAt = now;
        if (event.key === "Enter") {
          event.preventDefault();
          clearTimeout(settleTimer);
          send(input.value, "scanner");
        }
      });
      input.addEventListener("input", function () {
        clearTimeout(settleTimer);
        settleTimer = setTimeout(function () {
          if (burstFast && input.value.length >= MIN_CODE) send(input.value, "scanner");
          else if (!burstFast) { input.value = ""; burstFast = true; }
        }, BURST_SETTLE_MS);
      });
      // Keep the scanner's input ready: after a tap elsewhere, the next scan still lands in it.
      function refocus() {
        var active = document.activeElement;
        if (active === input) return;
        if (active && active !== document.body && active.matches("input, select, textarea")) return;
        input.focus({ preventScroll: true });
      }
      document.addEventListener("keydown", function (event) {
        if (event.key.length === 1 && document.activeElement !== input &&
            !(document.activeElement && document.activeElement.matches("input, select, textarea"))) {
          input.focus({ preventScroll: true });
        }
      }, true);
      document.addEventListener("htmx:afterSwap", function () { input.value = ""; refocus(); });
      refocus();
    }
  }

  function setUpCamera(video) {
    var status = video.parentElement.querySelector("[data-camera-status]");
    function say(key) { if (status) status.textContent = status.dataset[key] || ""; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { say("msgAbsent"); return; }
    var facing = video.dataset.facing || "user";
    navigator.mediaDevices.getUserMedia({ video: { facingMode: facing, width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        return video.play().then(function () { say("msgReady"); return makeDecoder(); });
      })
      .then(function (decode) {
        if (!decode) return;
        var busy = false;
        var timer = setInterval(function () {
          if (!video.isConnected) {
            // htmx swapped this preview away: let the camera go.
            clearInterval(timer);
            video.srcObject.getTracks().forEach(function (track) { track.stop(); });
            return;
          }
          if (busy || video.readyState < 2) return;
          busy = true;
          decode(video).then(function (code) {
            busy = false;
            // Looked up each time: the form may have been swapped since the camera started.
            var form = document.querySelector("[data-scan-form]");
            if (code && form && form.kioskSend) form.kioskSend(code, "camera");
          }, function () { busy = false; });
        }, 200);
      })
      .catch(function (err) {
        say(err && (err.name === "NotAllowedError" || err.name === "SecurityError") ? "msgDenied" : "msgAbsent");
      });
  }

  // The browser's own BarcodeDetector where it has one that reads QR; otherwise the vendored jsQR.
  function makeDecoder() {
    var canvas = document.createElement("canvas");
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    function withJsQR(video) {
      var scale = Math.min(1, 640 / (video.videoWidth || 640));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR ? window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" }) : null;
      return Promise.resolve(found ? found.data : null);
    }
    if (!("BarcodeDetector" in window)) return Promise.resolve(withJsQR);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") < 0) return withJsQR;
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return function (video) {
        return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      };
    }, function () { return withJsQR; });
  }

  // --- After a scan: a short sound, then the screen clears itself for the next volunteer. -----
  var sounds = {};
  function play(name) {
    var url = document.body.dataset["sound" + name.charAt(0).toUpperCase() + name.slice(1)];
    if (!url) return;
    sounds[name] = sounds[name] || new Audio(url);
    sounds[name].currentTime = 0;
    var played = sounds[name].play();
    if (played && played.catch) played.catch(function () { /* no sound before the first touch */ });
  }

  function settle(root) {
    root.querySelectorAll("[data-sound]").forEach(function (el) { play(el.dataset.sound); });
    root.querySelectorAll("[data-reset-after]").forEach(function (el) {
      var seconds = Number(el.dataset.resetAfter);
      if (!seconds) return;
      setTimeout(function () { if (el.isConnected) el.remove(); }, seconds * 1000);
    });
    root.querySelectorAll("[data-auto-home]").forEach(function (el) {
      setTimeout(function () { if (el.isConnected) window.location.assign(el.getAttribute("href")); },
                 Number(el.dataset.autoHome) * 1000);
    });
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    document.dispatchEvent(new CustomEvent("kiosk:activity"));
    settle(event.detail.target);
  });

  // Scan forms and cameras in the page, and in whatever htmx swaps in later; each set up once.
  function setUpScanning(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("[data-scan-form]").forEach(function (form) {
      if (!form.kioskSend) setUpScanForm(form);
    });
    root.querySelectorAll("video[data-camera]").forEach(function (video) {
      if (video.dataset.started) return;
      video.dataset.started = "1";
      setUpCamera(video);
    });
  }

  // Length limits shown as you type: "123 / 500" under a textarea with data-count-to.
  function setUpCounters(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("[data-count-to]").forEach(function (field) {
      var counter = document.querySelector('[data-counter-for="' + field.id + '"]');
      if (!counter || field.dataset.counting) return;
      field.dataset.counting = "1";
      var update = function () { counter.textContent = field.value.length + " / " + field.dataset.countTo; };
      field.addEventListener("input", update);
      update();
    });
  }

  // A "Print" button (data-print) on a printable page: the inline onclick the CSP forbids.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  document.addEventListener("htmx:load", function (event) {
    setUpScanning(event.detail.elt);
    setUpCounters(event.detail.elt);
  });
  document.addEventListener("DOMContentLoaded", function () {
    setUpIdleReset();
    setUpScanning(document);
    setUpCounters(document);
    settle(document);
  });
})();
