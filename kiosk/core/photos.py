"""Photos people upload (swap items, suggestions): checked by content, re-encoded, stored privately.

Re-encoding keeps the pixels and nothing else, so EXIF (camera, time, GPS position) is gone. The
file name is the server's, never the uploader's."""

import io
import re
import secrets
import warnings
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from flask import Response, abort, current_app, g, send_from_directory
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from kiosk.core.errors import DomainError
from kiosk.core.storage import note_cannot_save
from kiosk.core.extensions import db
from kiosk.core.transaction import after_commit

MAX_PHOTO_BYTES = 10 * 1024 * 1024
# A baseline JPEG (what phone cameras write) is decoded straight at a fraction of its size (draft
# mode: 1/2, 1/4 or 1/8, as far as its shorter side allows), so a 108-megapixel phone photo (about
# 2 MB) costs some 20 MB while it is re-encoded; more than that is refused, not decoded, and so is a
# picture that even scaled would be over MAX_PIXELS_DECODED_WHOLE (a long, thin panorama cannot be
# scaled much). Other formats, and progressive JPEGs (which hold every pixel's data before they can
# be scaled), are decoded whole, so they may have fewer pixels: a 194 KB PNG of 7071 x 7071 would
# otherwise take some 380 MB of memory per request.
MAX_PIXELS = 110_000_000
MAX_PIXELS_DECODED_WHOLE = 16_000_000
# Pillow's own guard against decompression bombs warns above its limit (89 megapixels) before our
# checks could look: at ours, with its error at twice that.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
LONG_SIDE = 1600
THUMB_SIDE = 400
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO"}
NAME = re.compile(r"[0-9a-f]{32}(-thumb)?\.jpg")


KINDS = ("swap", "suggestions")  # swap photos are public on the shelf; suggestion photos keepers only


def photo_dir(kind: str = "swap") -> Path:
    if kind not in KINDS:
        raise ValueError(kind)
    folder = Path(current_app.instance_path) / "uploads" / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo checked and re-encoded, held in memory until the record that names it is stored."""

    name: str
    thumb: str
    kind: str
    full_jpeg: bytes = dataclasses.field(repr=False)
    thumb_jpeg: bytes = dataclasses.field(repr=False)

    def _files(self) -> list[tuple[Path, Path, bytes]]:
        folder = photo_dir(self.kind)
        return [(folder / f"{final}.part", folder / final, data)
                for final, data in ((self.name, self.full_jpeg), (self.thumb, self.thumb_jpeg))]

    def stage(self) -> None:
        """Write both files beside their places. A full disk, or the station's photo space used
        up, is a plain refusal with nothing left behind."""
        room = current_app.config["PHOTO_SPACE_MB"] * 1024 * 1024 - space_used()
        if room < len(self.full_jpeg) + len(self.thumb_jpeg):
            raise DomainError(NO_ROOM_FOR_PHOTOS, field="photo")
        try:
            for part, _final, data in self._files():
                part.write_bytes(data)
        except OSError:
            self.discard()
            note_cannot_save(current_app._get_current_object())
            raise DomainError(PHOTO_NOT_SAVED, field="photo") from None

    def publish(self) -> None:
        for part, final, _data in self._files():
            part.replace(final)  # a rename: no half-written photo is ever served

    def discard(self) -> None:
        for part, _final, _data in self._files():
            part.unlink(missing_ok=True)


TOO_MANY_PIXELS = _l("This photo has too many pixels. Please take it again at a smaller size, or choose another one.")
NO_ROOM_FOR_PHOTOS = _l("The station has no room for more photos. Please leave the photo out, and tell a keeper.")
PHOTO_NOT_SAVED = _l("The photo could not be saved: the station's computer may be full. Please tell a keeper.")


def space_used() -> int:
    """Bytes the stored photos take, every kind together."""
    folder = Path(current_app.instance_path) / "uploads"
    return sum(entry.stat().st_size for entry in folder.rglob("*") if entry.is_file()) if folder.is_dir() else 0


def prepare_photo(data: bytes, field: str = "photo", kind: str = "swap") -> PreparedPhoto:
    """Check and re-encode an uploaded image, before any write transaction begins (re-encoding a
    large photo takes a while, and on SQLite every other kiosk would wait for it). Nothing is
    written yet: the rule that stores the record calls `keep_after_commit`. DomainError if it is no photo."""
    if not data:
        raise DomainError(_l("The photo is empty. Please take it again."), field=field)
    if len(data) > MAX_PHOTO_BYTES:
        raise DomainError(_l("The photo is too large (at most 10 MB)."), field=field)
    if kind not in KINDS:
        raise ValueError(kind)
    full_image, small_image = _reencode(data, field)
    stem = secrets.token_hex(16)
    return PreparedPhoto(f"{stem}.jpg", f"{stem}-thumb.jpg", kind, _jpeg(full_image), _jpeg(small_image))


def keep_after_commit(photo: PreparedPhoto) -> str:
    """Stage the photo now and put it in place once the record that names it is committed (or
    remove it if the commit fails); its name for the record."""
    photo.stage()
    after_commit(photo.publish, otherwise=photo.discard)
    return photo.name


def _reencode(data: bytes, field: str) -> tuple[Image.Image, Image.Image]:
    """Pixels only, upright, at most LONG_SIDE; and a thumbnail."""
    image = _open(data, field)
    try:
        image = ImageOps.exif_transpose(image)  # keep the picture upright once the EXIF is gone
    except Exception:  # noqa: BLE001 - broken EXIF only costs the rotation; the EXIF is dropped anyway
        pass
    image = _flattened(image)
    image.info = {}  # pixels only: no EXIF, no comment, no ICC profile from the uploader
    small = image.copy()
    small.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return image, small


def _flattened(image: Image.Image) -> Image.Image:
    """RGB at most LONG_SIDE. See-through parts are put on white, as a page shows them: a plain
    convert("RGB") keeps the colour they hide, often black. Made small first, so a large
    see-through picture is not held at full size twice."""
    if image.mode not in ("RGBA", "LA", "PA", "RGBa", "La") and "transparency" not in image.info:
        image = image.convert("RGB")
        image.thumbnail((LONG_SIDE, LONG_SIDE))
        return image
    image = image.convert("RGBA")
    image.thumbnail((LONG_SIDE, LONG_SIDE))  # Pillow resizes RGBA premultiplied: hidden colours do not bleed
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, image).convert("RGB")


def _open(data: bytes, field: str) -> Image.Image:
    not_a_photo = DomainError(_l("This file is not a photo we can read. Please choose a JPEG or PNG picture."), field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ACCEPTED_FORMATS:
                raise not_a_photo
            scaled = probe.format in ("JPEG", "MPO") and not probe.info.get("progressive")
            if probe.width * probe.height > (MAX_PIXELS if scaled else MAX_PIXELS_DECODED_WHOLE):
                raise DomainError(TOO_MANY_PIXELS, field=field)
            probe.verify()
            image = Image.open(io.BytesIO(data))
            if image.format in ("JPEG", "MPO"):
                image.draft("RGB", (LONG_SIDE, LONG_SIDE))  # decode at 1/2, 1/4 or 1/8 scale
            if image.width * image.height > MAX_PIXELS_DECODED_WHOLE:  # the size it will be decoded at
                raise DomainError(TOO_MANY_PIXELS, field=field)
            image.load()  # a truncated file fails here
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError(TOO_MANY_PIXELS, field=field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise not_a_photo from None
    return image


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def delete_photo(name: str | None, kind: str = "swap") -> None:
    if not name or not NAME.fullmatch(name):
        return
    for candidate in (name, name.replace(".jpg", "-thumb.jpg")):
        (photo_dir(kind) / candidate).unlink(missing_ok=True)


def thumb_name(name: str) -> str:
    return name.replace(".jpg", "-thumb.jpg")


def photo_owner(model, station, name: str):
    """The record of `model` at this station that a photo (or its thumbnail) belongs to, or None."""
    if not NAME.fullmatch(name or ""):
        return None
    return db.session.scalar(select(model).where(model.photo == name.replace("-thumb.jpg", ".jpg"),
                                                 model.station_id == station.id))


def send_private_photo(model, kind: str, name: str) -> Response:
    """A photo of one of the current station's records, for keepers only; 404 for any other name."""
    if photo_owner(model, g.station, name) is None:
        abort(404)
    return send_photo(kind, name, private=True)


def send_photo(kind: str, name: str, private: bool = False) -> Response:
    """A stored photo; `private` ones (keepers' views) are not kept by shared caches."""
    response = send_from_directory(photo_dir(kind), name, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if private:
        response.headers["Cache-Control"] = "private, max-age=3600"
    return response
