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

    var leaveUrl = body.dataset.idleLeaveUrl;
    function goHome() {
      // Only once the station's computer answers: else the tablet is left on the browser's own
      // "can't be reached" page. Until then this screen is emptied here, and tried again.
      fetch(homeUrl, { method: "HEAD", cache: "no-store" }).then(function () {
        if (!leaveUrl) { window.location.assign(homeUrl); return; }
        // A keeper page on the station's kiosk: sign this tablet out, then back to the start.
        var headers = JSON.parse(body.getAttribute("hx-headers") || "{}");
        fetch(leaveUrl, { method: "POST", headers: headers, credentials: "same-origin" })
          .catch(function () {})
          .then(function () { window.location.assign(homeUrl); });
      }, function () {
        if (dialog) dialog.hidden = true;
        document.getElementById("main").replaceChildren();
        offline(body.dataset.msgOffline);
        setTimeout(goHome, 10000);
      });
    }
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
    // A keeper page: typing sends nothing, so the server would count a long reply as the tablet
    // left idle and refuse its Save. The page tells it someone is here, at most every 15 seconds
    // while keys or taps come (and once more for the last of them, so none goes untold); a tablet
    // left alone tells it nothing, and is signed out as before.
    var stillHereUrl = body.dataset.stillHereUrl, toldAt = Date.now(), telling = null;
    function tellStillHere() {
      telling = null;
      toldAt = Date.now();
      fetch(stillHereUrl, { cache: "no-store", credentials: "same-origin", redirect: "manual" }).catch(function () {});
    }
    function someoneHere() {
      if (!stillHereUrl || telling) return;
      var wait = toldAt + 15000 - Date.now();
      if (wait <= 0) tellStillHere();
      else telling = setTimeout(tellStillHere, wait);
    }
    function touched() { reset(); someoneHere(); }
    ["pointerdown", "keydown", "touchstart", "input"].forEach(function (name) {
      document.addEventListener(name, touched, { capture: true, passive: true });
    });
    document.addEventListener("kiosk:activity", touched);
    if (stay) stay.addEventListener("click", touched);
    reset();
  }

  // --- The station's computer out of reach (Wi-Fi down, the server restarting). --------------
  // A tap that got no answer says it was not saved; a failed refresh in the background says the
  // page may be out of date. The note goes at the next answer.
  function offline(text) {
    var note = document.querySelector("[data-offline]");
    if (!text) { if (note) note.remove(); return; }
    if (!note) {
      note = document.createElement("p");
      note.className = "form-error";
      note.setAttribute("role", "alert");
      note.setAttribute("data-offline", "");
      document.getElementById("main").prepend(note);
    }
    note.textContent = "✕ " + text;
  }
  document.addEventListener("htmx:sendError", function (event) {
    var from = event.detail.elt;
    if (from.closest("[data-scan-form]")) return;  // a scan's own answer says it
    offline(document.body.dataset[from.closest("[data-background]") ? "msgOffline" : "msgNotSent"]);
  });
  // A form sent with a token that no longer held (the tablet's session renewed): nothing was
  // saved; the page takes the new token and keeps what was typed, and says to tap once more.
  var renewedNote = "";
  document.addEventListener("kiosk:renewed", function (event) {
    var token = event.detail.token, headers = {};
    document.querySelectorAll("input[name=csrf_token]").forEach(function (field) { field.value = token; });
    try { headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}"); } catch (e) { /* none */ }
    headers["X-CSRFToken"] = token;
    document.body.setAttribute("hx-headers", JSON.stringify(headers));
    if (!event.target.closest("[data-scan-form]")) renewedNote = event.detail.message;  // a scan says it in its place
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.xhr && event.detail.xhr.status) offline(renewedNote);
    renewedNote = "";
    var form = event.detail.elt, note = form.querySelector && form.querySelector("[data-pending]");
    clearTimeout(form.pendingTimer);
    if (note) note.remove();
  });
  // A form's answer slow to come (weak Wi-Fi): say it is on its way, as the scan forms do.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches("form") || form.closest("[data-scan-form], [data-background]")) return;
    form.pendingTimer = setTimeout(function () {
      var note = document.createElement("p");
      note.className = "field-help";
      note.setAttribute("role", "status");
      note.setAttribute("data-pending", "");
      note.textContent = document.body.dataset.msgPending;
      form.appendChild(note);
    }, 300);
  });

  // --- Scanning: a barcode scanner typing into the page, or the camera. ----------------------
  // A scanner "types" a whole code in a few milliseconds; a person cannot. A fast burst of at
  // least MIN_CODE characters is a scan, whether or not the scanner ends it with Enter. What a
  // person types (a label code by hand) stays in the field until they send it.
  var MIN_CODE = 6;
  var BURST_GAP_MS = 60;      // longest pause between two keys of one scan
  var SCAN_KEYS = 3;          // this many keys in a row, each within BURST_GAP_MS: a scanner, not a hand
  var BURST_SETTLE_MS = 150;  // quiet time after which a burst without Enter counts as done
  var STALL_MS = 1000;        // how long the rest of a half-typed badge code is waited for
  var SUBMIT_RETRY_MS = 1000; // a queued scan htmx did not send is sent again after this
  var SAME_CODE_MS = 5000;    // the camera sees the same badge many times a second: send it once
  var PENDING_AFTER_MS = 300; // an answer slower than this shows "one moment" (a slow network)
  var READ_MS = 1500;         // an answer that came while the next scan waited stays this long before it is replaced

  function setUpScanForm(form) {
    var input = form.querySelector("[data-scanner-input]");
    var method = form.querySelector("[data-scan-method]");
    var lastCameraCode = "", lastCameraAt = 0, settleTimer = null, lastKeyAt = -Infinity;
    // byHand: the field holds keys typed at a person's pace. runFrom, runKeys: where in the field
    // the present run of quick keys began, and how many it has.
    var byHand = false, runFrom = 0, runKeys = 0;
    var visibleInput = input && input.type !== "hidden";
    function pattern(source) { return source ? new RegExp("^(?:" + source + ")$") : null; }
    var codeStart = pattern(form.dataset.codeStart);
    // A whole code at the end of what is in the field: a stray key that looked like the start of
    // a badge (and so was kept, as a scan that stalled) is not part of the scan after it.
    var codeAtEnd = form.dataset.wholeCode ? new RegExp("(?:" + form.dataset.wholeCode + ")$") : null;
    function scanned() { return input.value.replace(/\s+/g, "").toUpperCase(); }
    function wholeCodeIn(text) { var found = codeAtEnd && codeAtEnd.exec(text); return found ? found[0] : null; }
    // Scans wait their turn: a second badge scanned while the first is still being answered is
    // sent right after it, never dropped, and never typed onto the end of the first.
    var waiting = [], sending = false, started = false, attempt = 0, holdUntil = 0, pendingTimer = null;
    function next() {
      if (sending || !waiting.length) return;
      // The next volunteer scanned while the first's answer was on its way: the first still gets
      // to read it. (A scan after the answer is not held: the answer was on screen meanwhile.)
      var readFor = holdUntil - Date.now();
      if (readFor > 0) { setTimeout(next, readFor); return; }
      var scan = waiting.shift(), mine = ++attempt;
      sending = true;
      started = false;
      input.value = scan.code;
      if (method) method.value = scan.how;
      form.requestSubmit();
      // htmx drops a submit it still counts as overlapping the last request (hx-sync): then the
      // scan goes back to the front of the queue and is sent again, never lost.
      setTimeout(function () {
        if (attempt === mine && sending && !started) { waiting.unshift(scan); sending = false; next(); }
      }, SUBMIT_RETRY_MS);
    }
    function send(code, how, anyLength) {
      code = (code || "").trim();
      if (code.length < (anyLength ? 1 : MIN_CODE)) return;
      var now = Date.now();
      if (how === "camera") {
        // The camera sees the same badge many times a second: send it once. A scanner's second
        // scan of a badge is a real scan (the server knows a double scan when it sees one).
        if (code === lastCameraCode && now - lastCameraAt < SAME_CODE_MS) return;
        lastCameraCode = code; lastCameraAt = now;
      }
      if (sending) input.value = "";  // the field is free for the next scan at once
      waiting.push({ code: code, how: how });
      document.dispatchEvent(new CustomEvent("kiosk:activity"));
      next();
    }
    form.kioskSend = send;
    // htmx has read the form by now: empty the field for the next scan, even before the answer.
    form.addEventListener("htmx:beforeRequest", function () {
      started = true;
      if (sending) input.value = "";
      clearTimeout(pendingTimer);
      pendingTimer = setTimeout(function () { say(form.dataset.msgPending, "pending"); }, PENDING_AFTER_MS);
    });
    // A short answer of the page's own (as text, never markup) in the place the server's goes.
    function say(text, kind) {
      var box = document.querySelector(form.getAttribute("hx-target"));
      if (!box || !text) return;
      var card = document.createElement("div"), line = document.createElement("p");
      card.className = "outcome outcome-" + kind;
      card.setAttribute("role", kind === "error" ? "alert" : "status");
      line.className = "outcome-headline";
      line.textContent = kind === "error" ? "✕ " + text : text;  // as the server's own refusals
      if (kind === "error") play("error");
      card.appendChild(line);
      box.replaceChildren(card);
    }
    // The station's computer out of reach (Wi-Fi dropped): say so, never keep "one moment" up.
    form.addEventListener("htmx:sendError", function () {
      clearTimeout(pendingTimer);
      say(form.dataset.msgUnreachable, "error");
    });
    form.addEventListener("kiosk:renewed", function (event) { say(event.detail.message, "error"); });
    form.addEventListener("htmx:afterRequest", function () {
      clearTimeout(pendingTimer);
      holdUntil = waiting.length ? Date.now() + READ_MS : 0;
      sending = false;
      refocus();
      // After htmx has let go of this request: a submit from inside its own event would be dropped.
      setTimeout(next, 0);
    });

    // What the scanner typed goes as one scan, and the field is empty for the next one. With
    // Enter (a scanner's or a person's) even a short code goes: the answer says what is wrong.
    function takeScan(withEnter) {
      var code = wholeCodeIn(scanned()) || input.value;
      input.value = "";
      byHand = false;
      send(code, "scanner", withEnter);
    }

    // Each key, when it was pressed (not when this ran: on a busy tablet a scan's keys wait in a
    // queue, and their gaps here would look like a person typing).
    function noteKey(event) {
      // A held key repeating, Shift, Backspace: not a character a scanner types in a burst.
      if (event.repeat || (event.key.length !== 1 && event.key !== "Enter")) return;
      var now = event.timeStamp;
      if (now - lastKeyAt > BURST_GAP_MS) {
        // A scanner stalling mid-badge (Bluetooth, a busy tablet) is let be; any other pause
        // after what is in the field means a person is typing.
        var stalledScan = !byHand && input.value !== "" && codeStart && codeStart.test(scanned());
        if (input.value === "") byHand = false;
        else if (!stalledScan) byHand = true;
        runFrom = stalledScan ? 0 : input.value.length;
        runKeys = 1;
      } else if (++runKeys === SCAN_KEYS && runFrom > 0) {
        // A scan begins after what was in the field (a few stray keys, a code left half typed):
        // that is not part of it.
        input.value = input.value.slice(runFrom);
        runFrom = 0;
        byHand = false;
      }
      lastKeyAt = now;
    }

    function refocus() {
      if (!visibleInput) return;
      var active = document.activeElement;
      if (active === input) return;
      if (active && active !== document.body && active.matches("input, select, textarea")) return;
      input.focus({ preventScroll: true });
    }

    if (visibleInput) {
      input.addEventListener("keydown", function (event) {
        noteKey(event);
        if (event.key === "Enter") {
          event.preventDefault();
          clearTimeout(settleTimer);
          takeScan(true);
        }
      });
      input.addEventListener("input", function () {
        clearTimeout(settleTimer);
        // A whole badge code needs no waiting for the scanner to go quiet: send it now.
        if (!byHand && wholeCodeIn(scanned())) {
          takeScan();
          return;
        }
        var waitedForRest = false;
        function settled() {
          if (!byHand && codeStart && codeStart.test(scanned()) && !waitedForRest) {
            // Half a badge code: a scanner (Bluetooth, or a busy tablet) stalled mid-code. The
            // rest is on its way; sending the half would only earn "not a station badge".
            waitedForRest = true;
            settleTimer = setTimeout(settled, STALL_MS);
            return;
          }
          if (!byHand && input.value.length >= MIN_CODE) takeScan();
        }
        settleTimer = setTimeout(settled, BURST_SETTLE_MS);
      });
      // Keep the scanner's input ready: after a tap elsewhere (or with the idle warning's button
      // in focus), the next scan still lands in it, its first key included.
      // Not Space: no badge holds one, and it presses the button or link a keyboard user is on.
      document.addEventListener("keydown", function (event) {
        if (event.key.length === 1 && event.key !== " " && document.activeElement !== input &&
            !(document.activeElement && document.activeElement.matches("input, select, textarea"))) {
          input.focus({ preventScroll: true });
          noteKey(event);
        }
      }, true);
      refocus();
    }
  }

  function setUpCamera(video) {
    var status = video.parentElement.querySelector("[data-camera-status]");
    function say(key) { if (status) status.textContent = status.dataset[key] || ""; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { say("msgAbsent"); return; }
    say("msgStarting");
    var facing = video.dataset.facing || "user";
    navigator.mediaDevices.getUserMedia({ video: { facingMode: facing, width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        return video.play().then(function () { say("msgReady"); return makeDecoder(video); });
      })
      .then(function (decode) {
        if (!decode) return;
        // The next frame is read as soon as the decoder is free (at most every FRAME_GAP_MS): a
        // badge held up is seen within a frame or two, not after a fixed polling step.
        var lastGrab = 0;
        function nextFrame() {
          if (!video.isConnected) {
            // htmx swapped this preview away: let the camera go.
            video.srcObject.getTracks().forEach(function (track) { track.stop(); });
            return;
          }
          var wait = Math.max(0, lastGrab + FRAME_GAP_MS - performance.now());
          setTimeout(function () {
            if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(grab);
            else requestAnimationFrame(grab);
          }, wait);
        }
        function grab() {
          if (!video.isConnected || video.readyState < 2) { nextFrame(); return; }
          lastGrab = performance.now();
          decode(video).then(function (code) {
            // Looked up each time: the form may have been swapped since the camera started.
            var form = document.querySelector("[data-scan-form]");
            if (code && form && form.kioskSend) form.kioskSend(code, "camera");
            nextFrame();
          }, nextFrame);
        }
        nextFrame();
      })
      .catch(function (err) {
        say(err && (err.name === "NotAllowedError" || err.name === "SecurityError") ? "msgDenied" : "msgAbsent");
      });
  }

  // The browser's own BarcodeDetector where it reads QR codes (it decodes off the page's thread);
  // otherwise ZXing in a worker (static/js/decoder-worker.js). Either way the page's own thread
  // only hands over a downscaled frame, so a scanner's keystrokes and taps are never starved.
  var FRAME_SIDE = 640;        // longest side of a frame handed to the decoder
  var FRAME_GAP_MS = 50;       // least time between two frames read (a tablet has other work)
  var DECODE_TIMEOUT_MS = 5000;

  function makeDecoder(video) {
    var viaWorker = function () { return workerDecoder(video.dataset.decoder); };
    if (!("BarcodeDetector" in window)) return Promise.resolve(viaWorker());
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") < 0) return viaWorker();
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return function (frame) {
        return detector.detect(frame).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      };
    }, viaWorker);
  }

  function workerDecoder(url) {
    if (!url || !window.Worker || !window.createImageBitmap) return null;
    var worker = new Worker(url);
    var waiting = {}, lastId = 0;
    worker.onmessage = function (event) {
      var answer = waiting[event.data.id];
      delete waiting[event.data.id];
      if (answer) answer(event.data.text || null);
    };
    return function (frame) {
      var width = frame.videoWidth, height = frame.videoHeight;
      var scale = Math.min(1, FRAME_SIDE / Math.max(width, height));
      return createImageBitmap(frame, { resizeWidth: Math.round(width * scale),
                                        resizeHeight: Math.round(height * scale), resizeQuality: "low" })
        .then(function (bitmap) {
          return new Promise(function (resolve) {
            var id = ++lastId;
            waiting[id] = resolve;
            // A worker that never answers (it failed to load) must not stop the camera for good.
            setTimeout(function () { if (waiting[id]) { delete waiting[id]; resolve(null); } }, DECODE_TIMEOUT_MS);
            worker.postMessage({ id: id, frame: bitmap }, [bitmap]);
          });
        });
    };
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

  // A result or a volunteer's panel goes by itself after data-reset-after seconds. One someone is
  // still using (data-reset-on-touch: choosing a gift) waits while they touch it; left alone, it
  // goes, so the next person at the kiosk never finds it.
  function clearLater(el) {
    var seconds = Number(el.dataset.resetAfter);
    if (!seconds) return;
    var timer = null;
    function arm() {
      clearTimeout(timer);
      timer = setTimeout(function () { if (el.isConnected) el.remove(); }, seconds * 1000);
    }
    arm();
    if (el.hasAttribute("data-reset-on-touch")) {
      ["pointerdown", "keydown", "input"].forEach(function (name) { el.addEventListener(name, arm, { passive: true }); });
    }
  }

  // "Not me" (data-clears="#gift-result"): empties that place at once, with no reload (the camera
  // keeps running). Without JavaScript it is a link to the empty screen.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-clears]");
    if (!button) return;
    var place = document.querySelector(button.dataset.clears);
    if (!place) return;
    event.preventDefault();
    place.replaceChildren();
  });

  // A result that arrives partly out of sight (large text on an upright tablet puts it under the
  // camera) is brought into view: an older volunteer will not think to scroll. Its top comes first
  // when it is taller than the screen.
  function bringIntoView(el) {
    var box = el.getBoundingClientRect(), high = window.innerHeight;
    if (box.top >= 0 && box.bottom <= high) return;
    el.scrollIntoView({ block: box.height > high ? "start" : "nearest" });
  }

  function settle(root) {
    root.querySelectorAll("[data-sound]").forEach(function (el) { play(el.dataset.sound); });
    root.querySelectorAll("[data-into-view]").forEach(bringIntoView);
    root.querySelectorAll("[data-reset-after]").forEach(clearLater);
    root.querySelectorAll("[data-auto-home]").forEach(function (el) {
      setTimeout(function () { if (el.isConnected) window.location.assign(el.getAttribute("href")); },
                 Number(el.dataset.autoHome) * 1000);
    });
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    // What a person did keeps the screen awake; a refresh in the background (data-background:
    // the phone QR, a keeper's live list) does not, or an idle kiosk would never go home.
    var config = event.detail.requestConfig;
    var from = config && config.elt;
    if (!(from && from.closest && from.closest("[data-background]"))) {
      document.dispatchEvent(new CustomEvent("kiosk:activity"));
    }
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

  document.addEventListener("htmx:load", function (event) { setUpScanning(event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () {
    setUpIdleReset();
    setUpScanning(document);
    settle(document);
  });
})();
