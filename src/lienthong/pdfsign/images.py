"""Demo signature images, drawn by lienthong itself with Pillow (never copied from anywhere).

- :func:`signature_image`: a blue handwritten-signature scribble on a transparent
  background, different for every name (seeded by the name), the image a competent
  person's signature shows (Decree 30: blue, transparent PNG).
- :func:`seal_image`: a round red seal with the agency's name around the ring and a star
  in the middle, transparent outside the ink, at its actual size (the PNG carries its dpi).

Real deployments use the scanned seal and signature the agency registered; these stand in
for them in the demo and in tests.
"""

from __future__ import annotations

import hashlib
import io
import math
import random

from PIL import Image, ImageDraw, ImageFont

from lienthong.pdfsign import fonts
from lienthong.text import nfc

#: Ink colours (RGB).
INK_BLUE = (12, 45, 170)
SEAL_RED = (218, 30, 36)
#: Supersampling factor: shapes are drawn large, then scaled down for smooth edges.
_SS = 3
MM_PER_INCH = 25.4


def _px(mm: float, dpi: int) -> int:
    return max(1, round(mm / MM_PER_INCH * dpi))


def png_bytes(image: Image.Image, dpi: int) -> bytes:
    """Encode ``image`` as PNG with its resolution recorded (so its actual size is known)."""
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi), optimize=False)
    return out.getvalue()


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - drawing, not crypto


def _stroke(
    draw: ImageDraw.ImageDraw,
    points: list[tuple[float, float]],
    widths: list[float],
    fill: tuple[int, int, int, int],
) -> None:
    """A pen stroke: segments of varying width with round joins."""
    for (x0, y0), (x1, y1), w in zip(points, points[1:], widths, strict=False):
        draw.line([(x0, y0), (x1, y1)], fill=fill, width=max(1, round(w)))
        r = w / 2
        draw.ellipse([x1 - r, y1 - r, x1 + r, y1 + r], fill=fill)


def signature_image(
    name: str,
    *,
    width_mm: float = 50.0,
    height_mm: float = 20.0,
    dpi: int = 300,
    color: tuple[int, int, int] = INK_BLUE,
) -> Image.Image:
    """A handwritten-looking signature for ``name``: blue loops and a flourish, RGBA."""
    rng = _rng("signature", nfc(name))
    w, h = _px(width_mm, dpi) * _SS, _px(height_mm, dpi) * _SS
    canvas = Image.new("RGBA", (w, h), (*color, 0))
    draw = ImageDraw.Draw(canvas)
    ink = (*color, 255)
    pen = h * 0.028

    # The name part: one tall capital loop, then letters of varied height and width,
    # some looped (e, l), some arched (n, m), slanted like quick handwriting.
    base = h * 0.70
    slant = rng.uniform(0.25, 0.45)
    letters: list[tuple[float, float, float]] = [  # (width, height, loop strength)
        (w * 0.10, h * rng.uniform(0.56, 0.64), rng.uniform(0.9, 1.3))
    ]
    for _ in range(rng.randint(5, 8)):
        height = rng.choice((0.16, 0.2, 0.26, 0.45)) * h
        letters.append((w * rng.uniform(0.055, 0.095), height, rng.choice((0.0, 0.3, 1.0, 1.2))))
    points: list[tuple[float, float]] = []
    widths: list[float] = []
    x = w * 0.06
    for width, height, loop in letters:
        for i in range(48):
            u = i / 47
            lift = height * (1 - math.cos(2 * math.pi * u)) / 2
            dx = width * u - loop * width * 0.5 * math.sin(2 * math.pi * u)
            y = base - lift
            points.append((x + dx + slant * (base - y), y))
            widths.append(pen * (0.5 + 0.5 * math.sin(math.pi * u) ** 2))
        x += width
    _stroke(draw, points, widths, ink)

    # The flourish: from the last letter down and back left under the name, tapering.
    p0 = points[-1]
    p1 = (w * rng.uniform(0.92, 0.98), h * 0.98)
    p2 = (w * rng.uniform(0.02, 0.10), h * rng.uniform(0.78, 0.88))
    sweep = [
        (
            (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * p1[0] + t * t * p2[0],
            (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * p1[1] + t * t * p2[1],
        )
        for t in (i / 120 for i in range(121))
    ]
    _stroke(draw, sweep, [pen * (1.1 - 0.9 * i / 120) for i in range(121)], ink)

    return canvas.resize((w // _SS, h // _SS), Image.Resampling.LANCZOS)


def _star(cx: float, cy: float, outer: float, inner: float) -> list[tuple[float, float]]:
    pts = []
    for i in range(10):
        r = outer if i % 2 == 0 else inner
        a = -math.pi / 2 + i * math.pi / 5
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


def _ring_text(
    canvas: Image.Image,
    text: str,
    *,
    center: float,
    radius: float,
    font: ImageFont.FreeTypeFont,
    ink: tuple[int, int, int, int],
    max_span: float,
) -> None:
    """Write ``text`` clockwise around the top of a circle, centred on 12 o'clock."""
    gap = font.size * 0.12
    advances = [font.getlength(ch) + gap for ch in text]
    total = sum(advances) - gap
    span = total / radius
    if span > max_span:  # too long: tighten the letters
        scale = max_span / span
        advances = [a * scale for a in advances]
        total, span = total * scale, max_span
    angle = -span / 2
    for ch, advance in zip(text, advances, strict=True):
        mid = angle + (advance - gap) / 2 / radius
        if ch.strip():
            box = font.getbbox(ch)
            size = round(font.size * 2.2)
            glyph = Image.new("RGBA", (size, size), (0, 0, 0, 0))
            gdraw = ImageDraw.Draw(glyph)
            gdraw.text(
                (size / 2 - (box[2] + box[0]) / 2, size / 2 - (box[3] + box[1]) / 2),
                ch,
                font=font,
                fill=ink,
            )
            glyph = glyph.rotate(-math.degrees(mid), resample=Image.Resampling.BICUBIC)
            gx = center + radius * math.sin(mid) - size / 2
            gy = center - radius * math.cos(mid) - size / 2
            canvas.alpha_composite(glyph, (round(gx), round(gy)))
        angle += advance / radius


def seal_image(
    agency_name: str,
    *,
    diameter_mm: float = 36.0,
    dpi: int = 300,
    color: tuple[int, int, int] = SEAL_RED,
) -> Image.Image:
    """A round red seal: double ring, the agency name (upper case) around, a star inside."""
    size = _px(diameter_mm, dpi) * _SS
    c = size / 2
    canvas = Image.new("RGBA", (size, size), (*color, 0))
    draw = ImageDraw.Draw(canvas)
    ink = (*color, 255)
    outer_w = size * 0.030
    draw.ellipse(
        [outer_w / 2, outer_w / 2, size - outer_w / 2, size - outer_w / 2],
        outline=ink,
        width=round(outer_w),
    )
    inner_r = size * 0.335
    draw.ellipse(
        [c - inner_r, c - inner_r, c + inner_r, c + inner_r], outline=ink, width=round(size * 0.012)
    )

    text = nfc(agency_name).upper()
    font_size = round(size * 0.085)
    font = ImageFont.truetype(str(fonts.font_path(fonts.SANS_BOLD)), font_size)
    ring_r = (c - outer_w + inner_r) / 2 - font_size * 0.05
    _ring_text(
        canvas, text, center=c, radius=ring_r, font=font, ink=ink, max_span=math.radians(300)
    )
    # Small stars closing the ring at the bottom, a large one in the middle.
    for side in (-1, 1):
        a = math.pi + side * math.radians(22)
        sx, sy = c + ring_r * math.sin(a), c - ring_r * math.cos(a)
        draw.polygon(_star(sx, sy, font_size * 0.42, font_size * 0.17), fill=ink)
    draw.polygon(_star(c, c * 1.02, inner_r * 0.62, inner_r * 0.24), fill=ink)

    return canvas.resize((size // _SS, size // _SS), Image.Resampling.LANCZOS)


def signature_png(name: str, *, dpi: int = 300) -> bytes:
    """:func:`signature_image` as PNG bytes."""
    return png_bytes(signature_image(name, dpi=dpi), dpi)


def seal_png(agency_name: str, *, diameter_mm: float = 36.0, dpi: int = 300) -> bytes:
    """:func:`seal_image` as PNG bytes (its dpi gives the actual size)."""
    return png_bytes(seal_image(agency_name, diameter_mm=diameter_mm, dpi=dpi), dpi)
