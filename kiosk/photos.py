"""Photos people upload (swap items, suggestions): checked by content, re-encoded, stored privately.

Re-encoding keeps the pixels and nothing else, so EXIF (camera, time, GPS position) is gone. The
file name is the server's, never the uploader's."""

import io
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import DomainError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 10 MB file that unpacks to gigabytes is refused, not decoded
LONG_SIDE = 1600
THUMB_SIDE = 400
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO"}
NAME = re.compile(r"[0-9a-f]{32}(-thumb)?\.jpg")


@dataclass(frozen=True)
class StoredPhoto:
    name: str
    thumb: str


KINDS = ("swap", "suggestions")  # swap photos are public on the shelf; suggestion photos keepers only


def photo_dir(kind: str = "swap") -> Path:
    if kind not in KINDS:
        raise ValueError(kind)
    folder = Path(current_app.instance_path) / "uploads" / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_photo(data: bytes, field: str = "photo", kind: str = "swap") -> StoredPhoto:
    """Check, re-encode and store an uploaded image; DomainError (nothing stored) if it is not one."""
    if not data:
        raise DomainError(_l("The photo is empty. Please take it again."), field=field)
    if len(data) > MAX_PHOTO_BYTES:
        raise DomainError(_l("The photo is too large (at most 10 MB)."), field=field)
    image = _open(data, field)
    try:
        image = ImageOps.exif_transpose(image)  # keep the picture upright once the EXIF is gone
    except Exception:  # noqa: BLE001 - broken EXIF only costs the rotation; the EXIF is dropped anyway
        pass
    image = image.convert("RGB")
    image.info = {}  # pixels only: no EXIF, no comment, no ICC profile from the uploader
    image.thumbnail((LONG_SIDE, LONG_SIDE))
    stem = secrets.token_hex(16)
    folder = photo_dir(kind)
    full, thumb = f"{stem}.jpg", f"{stem}-thumb.jpg"
    _save(image, folder / full)
    small = image.copy()
    small.thumbnail((THUMB_SIDE, THUMB_SIDE))
    _save(small, folder / thumb)
    return StoredPhoto(full, thumb)


def _open(data: bytes, field: str) -> Image.Image:
    not_a_photo = DomainError(_l("This file is not a photo we can read. Please choose a JPEG or PNG picture."), field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ACCEPTED_FORMATS:
                raise not_a_photo
            if probe.width * probe.height > MAX_PIXELS:
                raise DomainError(_l("The photo is too large (at most 10 MB)."), field=field)
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()  # a truncated file fails here
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, EOFError):
        raise not_a_photo from None
    return image


def _save(image: Image.Image, path: Path) -> None:
    # Write then rename, so a half-written file is never served.
    tmp = path.with_suffix(".part")
    image.save(tmp, format="JPEG", quality=85, optimize=True)
    tmp.replace(path)


def delete_photo(name: str | None, kind: str = "swap") -> None:
    if not name or not NAME.fullmatch(name):
        return
    for candidate in (name, name.replace(".jpg", "-thumb.jpg")):
        (photo_dir(kind) / candidate).unlink(missing_ok=True)


def thumb_name(name: str) -> str:
    return name.replace(".jpg", "-thumb.jpg")
