// "Set up a tablet" (kiosk/tablets): a button that asks the browser for the camera and says in
// plain words what happened: a page that is not secure, a refusal, no camera, or a working camera.
(function () {
  "use strict";

  function setUp() {
    var box = document.querySelector("[data-camera-check]");
    if (!box) { return; }
    var button = box.querySelector("[data-camera-check-button]");
    var result = box.querySelector("[data-camera-check-result]");
    var video = box.querySelector("[data-camera-check-video]");
    var stream = null;

    function say(kind) {
      result.textContent = box.getAttribute("data-msg-" + kind);
      result.setAttribute("data-result", kind);
    }

    function stop() {
      if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
      stream = null;
    }

    function why(error) {
      var name = (error && error.name) || "";
      if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") { return "denied"; }
      if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") { return "absent"; }
      if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") { return "busy"; }
      return "failed";
    }

    say(window.isSecureContext ? "secure" : "insecure");
    button.addEventListener("click", function () {
      if (!window.isSecureContext) { say("insecure"); return; }
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { say("unsupported"); return; }
      stop();
      say("checking");
      button.disabled = true;
      navigator.mediaDevices.getUserMedia({ video: true, audio: false })
        .then(function (opened) {
          stream = opened;
          video.srcObject = opened;
          video.hidden = false;
          return video.play();
        })
        .then(function () { say("ok"); }, function (error) { stop(); video.hidden = true; say(why(error)); })
        .then(function () { button.disabled = false; });
    });
    window.addEventListener("pagehide", stop);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
