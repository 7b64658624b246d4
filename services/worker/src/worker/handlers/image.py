"""``image``: apply Pillow operations to the stored input; the output is the artifact."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageFilter, ImageOps

from conveyor_core.jobs import images

from ..context import JobContext, Outcome
from ..exceptions import JobFailure


def apply(image: Image.Image, op: dict[str, Any]) -> Image.Image:
    """Return ``image`` after one operation."""
    name = op["op"]
    if name == "resize":
        return image.resize((int(op["width"]), int(op["height"])))
    if name == "thumbnail":
        copy = image.copy()
        copy.thumbnail((int(op["width"]), int(op["height"])))
        return copy
    if name == "grayscale":
        return ImageOps.grayscale(image)
    if name == "rotate":
        return image.rotate(float(op["degrees"]), expand=True)
    if name == "blur":
        return image.filter(ImageFilter.GaussianBlur(float(op["radius"])))
    if name == "crop":
        return image.crop((int(op["left"]), int(op["top"]), int(op["right"]), int(op["bottom"])))
    raise JobFailure(f"unknown image operation {name!r}")


def handle(context: JobContext) -> Outcome:
    payload = context.payload
    operations = payload["operations"]
    try:
        image = images.open_bounded(context.input_bytes())
        images.plan(image.width, image.height, operations)  # re-checked: never trust the row
        image.load()
    except images.ImageRejected as error:
        raise JobFailure(str(error)) from None
    for index, op in enumerate(operations, start=1):
        image = apply(image, op)
        context.progress(index / (len(operations) + 1) * 100, f"applied {op['op']}")
    pillow_format, media_type = images.OUTPUT_FORMATS[payload.get("format", "png")]
    if pillow_format == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, pillow_format)
    name = f"output.{payload.get('format', 'png')}"
    with context.artifact(name, "wb") as file:
        file.write(buffer.getvalue())
    result = {"width": image.width, "height": image.height, "mode": image.mode,
              "format": pillow_format, "bytes": buffer.tell()}  # fmt: skip
    return Outcome(result, artifact=(name, media_type))
