// Reads QR codes from camera frames off the page's main thread, so that a slow tablet still
// answers a barcode scanner's keystrokes and taps while the camera is on. The decoder is ZXing
// C++ compiled to WebAssembly (vendored zxing-wasm), loaded from this station, never a CDN.
// Started by kiosk.js as decoder-worker.js?zxing=<script URL>&wasm=<wasm URL>.
"use strict";

var params = new URL(self.location.href).searchParams;
importScripts(params.get("zxing"));
var wasmUrl = params.get("wasm");
self.ZXingWASM.prepareZXingModule({
  overrides: { locateFile: function (path, prefix) { return path.endsWith(".wasm") ? wasmUrl : prefix + path; } },
  fireImmediately: true,
});

var OPTIONS = { formats: ["QRCode"], maxNumberOfSymbols: 1, tryHarder: true, tryRotate: true, tryInvert: false };
var canvas = null, context = null;

// A message is {id, frame}: an ImageBitmap (the camera, drawn here) or an ImageData (the
// benchmark's test frames). The answer is {id, text, ms}: the code read (or null) and the time
// this took, which bench/browser_bench.py reports.
self.onmessage = function (event) {
  var id = event.data.id, frame = event.data.frame;
  var started = performance.now();
  var image = frame;
  if (typeof ImageBitmap !== "undefined" && frame instanceof ImageBitmap) {
    if (!canvas || canvas.width !== frame.width || canvas.height !== frame.height) {
      canvas = new OffscreenCanvas(frame.width, frame.height);
      context = canvas.getContext("2d", { willReadFrequently: true });
    }
    context.drawImage(frame, 0, 0);
    frame.close();
    image = context.getImageData(0, 0, canvas.width, canvas.height);
  }
  self.ZXingWASM.readBarcodes(image, OPTIONS).then(function (results) {
    var found = results.find(function (r) { return r.isValid; });
    self.postMessage({ id: id, text: found ? found.text : null, ms: performance.now() - started });
  }, function () {
    self.postMessage({ id: id, text: null, ms: performance.now() - started });
  });
};
