"""What a tablet feels, measured in Debian's Chromium against the kiosk served by gunicorn:

1. scan-to-confirmation: the camera (a canvas standing in for it, so the bench knows the moment a
   badge appears) shows nothing, then a badge; the time from that first frame to the confirmation
   on screen, over --scans different badges, at full speed and with the CPU slowed 4x;
2. the decoder per frame, jsQR 1.4.0 (the old one, kept in bench/vendor) against the vendored
   ZXing WebAssembly, on the same frames: badges large, small, rotated, blurred, on a phone screen;
3. bytes a tablet transfers for the kiosk home and the check-in page with all they load (as
   Chromium asks for them: compressed), and whether anything comes from another host.

    .venv/bin/python bench/browser_bench.py [--scans 30] [--json PATH]

Prints a table and the summary as its last line (JSON)."""

import argparse
import base64
import io
import json
import secrets
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkin_bench import REPO, HarnessError, build_database, run  # noqa: E402
from rush_bench import served  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream"]
JSQR = REPO / "bench" / "vendor" / "jsqr-1.4.0.js"

# The camera: getUserMedia answers with a canvas's stream; the bench paints on the canvas.
FAKE_CAMERA = """
(() => {
  const canvas = document.createElement('canvas');
  canvas.width = 640; canvas.height = 480;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, 640, 480);
  window.benchCamera = {
    blank() { ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, 640, 480); },
    show(url) {
      return new Promise(done => {
        const img = new Image();
        img.onload = () => { ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, 640, 480);
                             ctx.drawImage(img, 170, 90, 300, 300); done(performance.now()); };
        img.src = url;
      });
    },
  };
  navigator.mediaDevices.getUserMedia = async () => canvas.captureStream(30);
  // Repaint now and then: a canvas stream sends frames only when the canvas changes.
  setInterval(() => { ctx.fillStyle = 'rgba(255,255,255,0.01)'; ctx.fillRect(0, 0, 1, 1); }, 33);
})();
"""


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scans", type=int, default=30)
    p.add_argument("--frames", type=int, default=15, help="timed decodes per test frame and decoder")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--json", type=Path)
    return p.parse_args(argv)


def png_data_url(image) -> str:
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def qr_image(text: str, side: int):
    import qrcode
    from PIL import Image

    return qrcode.make(text, box_size=10, border=4).convert("L").resize((side, side), Image.NEAREST)


def test_frames(token: str) -> dict[str, str]:
    """640x480 camera frames of one badge, as a tablet's camera sees them."""
    from PIL import Image, ImageEnhance, ImageFilter

    def on_white(code, angle=0):
        frame = Image.new("L", (640, 480), 255)
        if angle:
            code = code.rotate(angle, expand=True, fillcolor=255)
        frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
        return frame

    large = on_white(qr_image(token, 300))
    phone = on_white(qr_image(token, 220))
    phone = ImageEnhance.Contrast(phone).enhance(0.45)  # a phone screen: grey on grey, some glare
    phone = phone.filter(ImageFilter.GaussianBlur(0.8))
    return {
        "large": png_data_url(large),
        "small": png_data_url(on_white(qr_image(token, 110))),
        "rotated": png_data_url(on_white(qr_image(token, 260), angle=25)),
        "blurred": png_data_url(large.filter(ImageFilter.GaussianBlur(2.0))),
        "phone screen": png_data_url(phone),
    }


def kiosk_cookie(secret: str, url: str) -> str:
    sys.path.insert(0, str(REPO))
    from sqlalchemy import select

    from kiosk import create_app
    from kiosk.core.extensions import db
    from kiosk.core.models import Station
    from kiosk.core.stations import kiosk_tablet_cookie

    app = create_app({"SECRET_KEY": secret, "INSTANCE_PATH": tempfile.mkdtemp(), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        cookie = kiosk_tablet_cookie(db.session.scalar(select(Station)))
        db.engine.dispose()
    return cookie


def scan_to_confirm(browser, base: str, tokens: list[str], throttle: int) -> list[float]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, permissions=["camera"])
    page = context.new_page()
    page.add_init_script(FAKE_CAMERA)
    page.goto(base + "/checkin/")
    status = page.locator("[data-camera-status]")
    page.wait_for_function("s => s.textContent === s.dataset.msgReady", arg=status.element_handle(), timeout=15_000)
    if throttle > 1:
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    page.wait_for_timeout(500)
    times = []
    for token in tokens:
        page.evaluate("() => benchCamera.blank()")
        page.wait_for_timeout(250)
        page.evaluate("""() => { window.benchSeen = new Promise(done => document.addEventListener('htmx:afterSettle',
            event => { if (event.detail.target.id === 'scan-result') done(performance.now()); }, { once: true })); }""")
        shown = page.evaluate("url => benchCamera.show(url)", png_data_url(qr_image(token, 300)))
        confirmed = page.evaluate("() => window.benchSeen")
        times.append(confirmed - shown)
    context.close()
    return times


# jsQR on the page's thread, and the kiosk's own decoder worker (its options, its wasm) on the
# same frames; the worker says how long its decoding took, without the copy of the frame to it.
DECODE = """async ([frames, repeats]) => {
  const worker = new Worker(document.querySelector('video[data-camera]').dataset.decoder);
  const waiting = {}; let lastId = 0;
  worker.onmessage = event => { waiting[event.data.id](event.data); delete waiting[event.data.id]; };
  const zxing = image => new Promise(done => { const id = ++lastId; waiting[id] = done;
                                              worker.postMessage({ id, frame: image }); });
  const canvas = document.createElement('canvas'); canvas.width = 640; canvas.height = 480;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const out = {};
  for (const [name, url] of Object.entries(frames)) {
    const img = new Image(); img.src = url; await img.decode();
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, 640, 480); ctx.drawImage(img, 0, 0);
    const image = ctx.getImageData(0, 0, 640, 480);
    const result = { jsqr: [], zxing: [], jsqrText: null, zxingText: null };
    await zxing(image);  // the first call compiles the module
    for (let i = 0; i < repeats; i++) {
      const t = performance.now();
      const found = jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' });
      result.jsqr.push(performance.now() - t); result.jsqrText = found ? found.data : null;
      const read = await zxing(image);
      result.zxing.push(read.ms); result.zxingText = read.text;
    }
    out[name] = result;
  }
  worker.terminate();
  return out;
}"""


def decoders(browser, base: str, token: str, repeats: int) -> dict:
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(base + "/checkin/")
    page.add_script_tag(path=str(JSQR))
    raw = page.evaluate(DECODE, [test_frames(token), repeats])
    context.close()
    return {name: {"jsqr_ms": round(statistics.median(r["jsqr"]), 2), "zxing_ms": round(statistics.median(r["zxing"]), 2),
                   "jsqr_read": r["jsqrText"] == token, "zxing_read": r["zxingText"] == token}
            for name, r in raw.items()}


def page_bytes(browser, base: str, cookie: str) -> dict:
    out = {}
    for name, path, camera in (("home", "/", False), ("checkin", "/checkin/", True)):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, permissions=["camera"])
        context.add_cookies([{"name": "kiosk_station", "value": cookie, "url": base}])
        page = context.new_page()
        if camera:
            page.add_init_script(FAKE_CAMERA)  # so the decoder (worker and wasm) loads as on a tablet
        requests = []
        page.on("requestfinished", lambda request: requests.append(request))
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        if camera:
            page.wait_for_timeout(1500)
        own = urlsplit(base).netloc
        total = sum(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in requests)
        foreign = sorted({r.url for r in requests if urlsplit(r.url).scheme in ("http", "https")
                          and urlsplit(r.url).netloc != own})
        out[name] = {"bytes": total, "requests": len(requests), "foreign": foreign}
        context.close()
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise HarnessError(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    secret = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="kiosk-browser-") as tmpdir, sync_playwright() as p:
        tmp = Path(tmpdir)
        url, tokens = build_database(tmp, secret, args.scans * 2 + 10)
        cookie = kiosk_cookie(secret, url)
        server = served("kiosk-browser", "kiosk:create_app()", args, tmp,
                        {"KIOSK_DATABASE_URL": url, "KIOSK_SECRET_KEY": secret}, "/checkin/")
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            base = f"http://127.0.0.1:{server.port}"
            fast = scan_to_confirm(browser, base, tokens[:args.scans], throttle=1)
            slow = scan_to_confirm(browser, base, tokens[args.scans:2 * args.scans], throttle=4)
            frames = decoders(browser, base, tokens[-1], args.frames)
            sizes = page_bytes(browser, base, cookie)
            browser.close()
        finally:
            server.stop()
    return report(args, fast, slow, frames, sizes)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(args, fast, slow, frames, sizes) -> int:
    print(f"\nscan to confirmation over {len(fast)} badges (camera, decoder in a worker, real check-in):")
    for label, times in (("full speed", fast), ("CPU slowed 4x", slow)):
        print(f"  {label:14} median {statistics.median(times):6.0f} ms   p95 {percentile(times, 0.95):6.0f} ms")
    print("\ndecoder per 640x480 frame (median ms)      jsQR 1.4.0    ZXing wasm   read: jsQR / ZXing")
    for name, r in frames.items():
        print(f"  {name:38} {r['jsqr_ms']:10.1f} {r['zxing_ms']:12.1f}      {'yes' if r['jsqr_read'] else 'NO '} / "
              f"{'yes' if r['zxing_read'] else 'NO'}")
    jsqr_total = sum(r["jsqr_ms"] for r in frames.values())
    zxing_total = sum(r["zxing_ms"] for r in frames.values())
    print("\nbytes a tablet transfers (compressed as Chromium asks, headers included):")
    for name, s in sizes.items():
        print(f"  {name:10} {s['bytes'] / 1024:8.1f} kB in {s['requests']} requests; from another host: "
              f"{', '.join(s['foreign']) or 'nothing'}")
    summary = {
        "scan_to_confirm_p50_ms": round(statistics.median(fast), 1),
        "scan_to_confirm_p95_ms": round(percentile(fast, 0.95), 1),
        "scan_to_confirm_p50_ms_slow_cpu": round(statistics.median(slow), 1),
        "scan_to_confirm_p95_ms_slow_cpu": round(percentile(slow, 0.95), 1),
        "decoder_speedup": round(jsqr_total / zxing_total, 2) if zxing_total else None,
        "decoder_reads_every_badge": all(r["zxing_read"] for r in frames.values()),
        "decoder_frames": frames,
        "home_bytes_gz": sizes["home"]["bytes"],
        "checkin_bytes_gz": sizes["checkin"]["bytes"],
        "foreign_requests": sizes["home"]["foreign"] + sizes["checkin"]["foreign"],
    }
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    run(main)
