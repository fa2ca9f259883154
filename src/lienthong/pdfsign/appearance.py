"""Visible appearances of the three Decree 30 signatures, as pyHanko stamp styles.

- :class:`SignerImageStyle`: the signer's handwritten-signature image, fitted in its box.
- :class:`SealStyle`: the agency's red seal at actual size, with the agency name and the
  signing time (Vietnam time, ISO 8601) under it.
- :class:`AttachmentStampStyle`: text only (number/notation, time, agency), Times New
  Roman metrics (Liberation Serif), for attachments.

pyHanko calls ``create_stamp(writer, box, text_params)`` when it builds the signature
field's appearance; the styles carry their own text, so ``text_params`` is not used.
Images are encoded once (:class:`PreparedImage`) and only copied into each document.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from PIL import Image
from pyhanko.pdf_utils import generic as _generic
from pyhanko.pdf_utils.content import AppearanceContent, ResourceType
from pyhanko.pdf_utils.generic import pdf_name

from lienthong.clock import VN_TZ
from lienthong.errors import SignatureError
from lienthong.pdfsign.fonts import StampFontFactory

generic: Any = _generic  # pyHanko's object constructors are untyped

#: Largest image we accept for a signature or seal (pixels): hostile input stays small.
MAX_IMAGE_PIXELS = 4_000_000
RED = (218 / 255, 30 / 255, 36 / 255)
BLACK = (0.0, 0.0, 0.0)


def vn_time(moment: datetime) -> str:
    """``moment`` in Vietnam time as ISO 8601 to the second: ``2026-11-23T07:35:11+07:00``."""
    if moment.tzinfo is None:
        raise ValueError("a signing time must be timezone-aware")
    return moment.astimezone(VN_TZ).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class PreparedImage:
    """An RGBA image encoded once as PDF image data: colour and soft mask, Flate-compressed."""

    width_px: int
    height_px: int
    dpi: float
    rgb_flate: bytes = field(repr=False)
    alpha_flate: bytes = field(repr=False)

    @classmethod
    def from_image(cls, image: Image.Image, dpi: float | None = None) -> PreparedImage:
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise SignatureError(
                f"image of {image.width}x{image.height} pixels is too large",
                code="pdfsign.image_too_large",
            )
        if dpi is None:
            info_dpi = image.info.get("dpi", (300, 300))
            dpi = float(info_dpi[0]) or 300.0
        rgba = image.convert("RGBA")
        alpha = rgba.getchannel("A")
        rgb = rgba.convert("RGB")
        return cls(
            width_px=rgba.width,
            height_px=rgba.height,
            dpi=dpi,
            rgb_flate=zlib.compress(rgb.tobytes(), 6),
            alpha_flate=zlib.compress(alpha.tobytes(), 6),
        )

    @classmethod
    def from_png(cls, data: bytes) -> PreparedImage:
        """Decode a PNG (size-checked before its pixels are read)."""
        try:
            image = Image.open(io.BytesIO(data))
            if image.format != "PNG":
                raise SignatureError("signature images must be PNG", code="pdfsign.image_format")
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise SignatureError(
                    f"image of {image.width}x{image.height} pixels is too large",
                    code="pdfsign.image_too_large",
                )
            image.load()
        except (OSError, Image.DecompressionBombError) as exc:
            raise SignatureError(f"unreadable PNG: {exc}", code="pdfsign.image_format") from exc
        return cls.from_image(image)

    @property
    def natural_size(self) -> tuple[float, float]:
        """Width and height in points at the image's own resolution (its actual size)."""
        return self.width_px * 72 / self.dpi, self.height_px * 72 / self.dpi

    def add_to(self, writer: Any) -> Any:
        """Write the image XObject (and its soft mask) into ``writer``; its reference."""

        def stream(colour_space: str, data: bytes, extra: dict[str, Any]) -> Any:
            entries = {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Image"),
                pdf_name("/Width"): generic.NumberObject(self.width_px),
                pdf_name("/Height"): generic.NumberObject(self.height_px),
                pdf_name("/ColorSpace"): pdf_name(colour_space),
                pdf_name("/BitsPerComponent"): generic.NumberObject(8),
                pdf_name("/Filter"): pdf_name("/FlateDecode"),
                **extra,
            }
            return writer.add_object(generic.StreamObject(entries, encoded_data=data))

        mask = stream("/DeviceGray", self.alpha_flate, {})
        return stream("/DeviceRGB", self.rgb_flate, {pdf_name("/SMask"): mask})


class _Appearance(AppearanceContent):
    """A signature field's appearance whose content a style draws."""

    def __init__(self, writer: Any, box: Any, draw: Callable[[_Appearance], bytes]) -> None:
        super().__init__(writer=writer, box=box)
        self._draw = draw

    def render(self) -> bytes:
        return self._draw(self)

    def image(
        self, image: PreparedImage, name: str, rect: tuple[float, float, float, float]
    ) -> bytes:
        """Operators that paint ``image`` into ``rect`` (x, y, w, h); registers the XObject."""
        x, y, w, h = rect
        self.set_resource(ResourceType.XOBJECT, pdf_name("/" + name), image.add_to(self.writer))
        return b"q %.3f 0 0 %.3f %.3f %.3f cm /%s Do Q" % (w, h, x, y, name.encode("ascii"))

    def text_line(
        self,
        engine: Any,
        text: str,
        *,
        size: float,
        x: float,
        y: float,
        color: tuple[float, float, float],
        max_width: float | None = None,
        align: str = "left",
    ) -> bytes:
        """Operators for one line of text with its baseline at ``y``.

        ``align`` is relative to ``x`` ("left", "centre": ``x`` is the middle, "right":
        ``x`` is the end). Lines wider than ``max_width`` are narrowed, never cut.
        """
        engine.font_size = size
        shaped = engine.shape(text)
        width = shaped.x_advance * size
        scale = 1.0
        if max_width is not None and width > max_width > 0:
            scale = max_width / width
            width = max_width
        if align == "centre":
            x -= width / 2
        elif align == "right":
            x -= width
        return b"q %.3f %.3f %.3f rg %.4f 0 0 1 %.3f %.3f cm BT /F1 %.2f Tf 0 0 Td %s ET Q" % (
            *color,
            scale,
            x,
            y,
            size,
            shaped.graphics_ops,
        )

    def font(self, factory: StampFontFactory) -> Any:
        """A font engine for this document, registered as ``/F1``."""
        engine = factory.create_font_engine(self.writer)
        self.set_resource(ResourceType.FONT, pdf_name("/F1"), engine.as_resource())
        return engine


@dataclass(frozen=True)
class SignerImageStyle:
    """The signer's signature image, as large as fits in the field, centred."""

    image: PreparedImage

    def create_stamp(self, writer: Any, box: Any, text_params: Any) -> _Appearance:
        def draw(stamp: _Appearance) -> bytes:
            iw, ih = self.image.natural_size
            scale = min(box.width / iw, box.height / ih)
            w, h = iw * scale, ih * scale
            return stamp.image(self.image, "Sig", ((box.width - w) / 2, (box.height - h) / 2, w, h))

        return _Appearance(writer, box, draw)


@dataclass(frozen=True)
class SealStyle:
    """The agency's seal at the top of the field, its ``details`` lines centred under it."""

    image: PreparedImage
    details: Sequence[str] = ()
    font: StampFontFactory = field(default_factory=StampFontFactory)
    font_size: float = 7.0
    color: tuple[float, float, float] = RED

    def create_stamp(self, writer: Any, box: Any, text_params: Any) -> _Appearance:
        def draw(stamp: _Appearance) -> bytes:
            leading = self.font_size * 1.25
            details_h = len(self.details) * leading + 2 if self.details else 0.0
            d = min(box.width, box.height - details_h)
            ops = [stamp.image(self.image, "Seal", ((box.width - d) / 2, box.height - d, d, d))]
            if self.details:
                engine = stamp.font(self.font)
                for i, line in enumerate(self.details):
                    ops.append(
                        stamp.text_line(
                            engine,
                            line,
                            size=self.font_size,
                            x=box.width / 2,
                            y=details_h - 1 - (i + 1) * leading + self.font_size * 0.25,
                            color=self.color,
                            max_width=box.width,
                            align="centre",
                        )
                    )
            return b" ".join(ops)

        return _Appearance(writer, box, draw)


@dataclass(frozen=True)
class AttachmentStampStyle:
    """Text lines, left-aligned from the top of the field (no image, no border)."""

    lines: Sequence[str]
    font: StampFontFactory = field(default_factory=StampFontFactory)
    font_size: float = 10.0
    leading: float = 12.0
    padding: float = 3.0
    color: tuple[float, float, float] = RED

    def create_stamp(self, writer: Any, box: Any, text_params: Any) -> _Appearance:
        def draw(stamp: _Appearance) -> bytes:
            engine = stamp.font(self.font)
            ops = []
            for i, line in enumerate(self.lines):
                baseline = (
                    box.height
                    - self.padding
                    - (i + 1) * self.leading
                    + (self.leading - self.font_size) / 2
                    + self.font_size * 0.22
                )
                ops.append(
                    stamp.text_line(
                        engine,
                        line,
                        size=self.font_size,
                        x=self.padding,
                        y=baseline,
                        color=self.color,
                        max_width=box.width - 2 * self.padding,
                    )
                )
            return b" ".join(ops)

        return _Appearance(writer, box, draw)
