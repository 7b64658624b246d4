"""Bounds on image jobs, checked at submission (job-api) and again before work (worker).

The input is base64 PNG, JPEG or WebP of at most 5 MB. Its pixel count is read from the
header before any pixel is decoded, so a decompression bomb (a tiny file that claims a huge
canvas) is refused without being expanded; every operation's output size is bounded too.
Nothing here ever fetches a URL.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from PIL import Image

MAX_IMAGE_BYTES = 5 * 1024 * 1024
"""Largest accepted input, decoded."""

MAX_IMAGE_PIXELS = 25_000_000
"""Largest canvas (width x height) an input or any intermediate result may have."""

INPUT_FORMATS = ("PNG", "JPEG", "WEBP")
"""Formats accepted as input (as Pillow names them)."""

OUTPUT_FORMATS = {
    "png": ("PNG", "image/png"),
    "jpeg": ("JPEG", "image/jpeg"),
    "webp": ("WEBP", "image/webp"),
}
"""``format`` values a caller may ask for: Pillow format and media type."""


class ImageRejected(ValueError):
    """The image is not one we are willing to process."""


def decode_base64(text: str) -> bytes:
    """Decode the ``image`` field, refusing anything that is not strict base64 or too big."""
    if len(text) > math.ceil(MAX_IMAGE_BYTES / 3) * 4 + 4:
        raise ImageRejected(f"Image is larger than {MAX_IMAGE_BYTES} bytes.")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ImageRejected("Not valid base64.") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejected(f"Image is larger than {MAX_IMAGE_BYTES} bytes.")
    return data


def open_bounded(data: bytes) -> Image.Image:
    """Open ``data`` lazily after checking its format and canvas size (no pixels decoded)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(INPUT_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("Image canvas is too large.") from None
    except (OSError, SyntaxError, ValueError):
        raise ImageRejected("Not a PNG, JPEG or WebP image.") from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > MAX_IMAGE_PIXELS:
        raise ImageRejected(f"Image canvas exceeds {MAX_IMAGE_PIXELS} pixels.")
    return image


def _rotated(width: int, height: int, degrees: float) -> tuple[int, int]:
    angle = math.radians(degrees)
    cos, sin = abs(math.cos(angle)), abs(math.sin(angle))
    return math.ceil(width * cos + height * sin - 1e-9), math.ceil(
        width * sin + height * cos - 1e-9
    )


def plan(width: int, height: int, operations: Iterable[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """Return the size after each operation; raise :class:`ImageRejected` if one is unbounded.

    Operations: ``resize``/``thumbnail`` (``width``, ``height``), ``grayscale``, ``rotate``
    (``degrees``, canvas expands), ``blur`` (``radius``), ``crop`` (``left``, ``top``,
    ``right``, ``bottom`` within the current size).
    """
    sizes = []
    for index, op in enumerate(operations):
        name = op["op"]
        if name == "resize":
            width, height = int(op["width"]), int(op["height"])
        elif name == "thumbnail":
            scale = min(op["width"] / width, op["height"] / height, 1.0)
            width, height = max(round(width * scale), 1), max(round(height * scale), 1)
        elif name == "rotate":
            width, height = _rotated(width, height, float(op["degrees"]))
        elif name == "crop":
            left, top, right, bottom = (int(op[k]) for k in ("left", "top", "right", "bottom"))
            if not (0 <= left < right <= width and 0 <= top < bottom <= height):
                raise ImageRejected(
                    f"Operation {index}: crop box must lie within the {width}x{height} image."
                )
            width, height = right - left, bottom - top
        if width * height > MAX_IMAGE_PIXELS:
            raise ImageRejected(
                f"Operation {index} would make more than {MAX_IMAGE_PIXELS} pixels."
            )
        sizes.append((width, height))
    return sizes
