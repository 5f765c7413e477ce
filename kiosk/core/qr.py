"""QR codes drawn on the server: SVG for screens and print, PNG for download."""

import io

import qrcode
import qrcode.image.svg


def qr_svg(data: str, box_size: int = 10) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size, border=2)
    return image.to_string(encoding="unicode")


def qr_png(data: str, box_size: int = 10) -> bytes:
    image = qrcode.make(data, box_size=box_size, border=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
