"""Pictures for upload tests: ordinary photos, a phone photo with GPS, broken and oversized files."""

import functools
import io
import os
import struct
import zlib

from PIL import Image

GPS = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}
CAMERA = "SpyCam X100"


def jpeg(size=(120, 90), colour=(200, 40, 40), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", **save)
    return out.getvalue()


def png(size=(120, 90), colour=(20, 140, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def gps_jpeg(orientation: int | None = None, size=(120, 90), **save) -> bytes:
    """A phone photo that tells where it was taken, and with which camera."""
    image = Image.new("RGB", size, (30, 60, 200))
    exif = image.getexif()
    exif[0x010F] = CAMERA  # Make
    if orientation:
        exif[0x0112] = orientation
    exif.get_ifd(0x8825).update(GPS)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, **save)
    return out.getvalue()


@functools.cache
def noisy_jpeg() -> bytes:
    """Noise does not compress, so half the bytes is half the picture."""
    image = Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = noisy_jpeg()
    return data[: len(data) // 2]


TEXT_AS_JPG = b"This is a shopping list, not a picture.\n" * 20


@functools.cache
def twenty_mb_image() -> bytes:
    """A real picture of about 20 MB: random noise does not compress."""
    side = 2600
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=0)
    data = out.getvalue()
    assert 19 * 1024 * 1024 < len(data) < 32 * 1024 * 1024
    return data


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


@functools.cache
def png_bomb(width: int, height: int) -> bytes:
    """A one-colour 1-bit PNG: tiny on the wire, huge once unpacked. Written by hand so the test
    never holds the unpacked picture."""
    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    parts = [packer.compress(row * 1000) for _ in range(height // 1000)]
    parts.append(packer.compress(row * (height % 1000)))
    parts.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")
    assert len(data) < 2 * 1024 * 1024
    return data


def corrupt_exif_jpeg() -> bytes:
    """A photo from a camera that wrote one GPS tag with the wrong type (GPSDOP, which should be a
    number, as text). Pillow reads it without a warning but cannot write that EXIF back."""
    data = gps_jpeg(orientation=6)
    entry = bytes.fromhex("0003" "0002" "00000002")  # GPS tag 3 (longitude ref), ASCII, 2 bytes
    assert data.count(entry) == 1
    return data.replace(entry, bytes.fromhex("000b" "0002" "00000002"))
