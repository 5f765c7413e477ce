"""A fake camera: a Y4M video of a QR code, for Chromium's --use-file-for-fake-video-capture."""

from pathlib import Path

import qrcode
from PIL import Image


def qr_video(data: str, path: Path, width: int = 640, height: int = 480, frames: int = 10) -> Path:
    """Write a short still video of `data` as a QR code on white, like a badge held up to the camera."""
    code = qrcode.make(data, box_size=8, border=4).convert("L")
    side = min(height - 40, code.size[0])
    code = code.resize((side, side), Image.NEAREST)
    frame = Image.new("L", (width, height), 255)
    frame.paste(code, ((width - side) // 2, (height - side) // 2))
    ycbcr = Image.merge("RGB", [frame] * 3).convert("YCbCr")
    y, cb, cr = ycbcr.split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + planes)
    return path
