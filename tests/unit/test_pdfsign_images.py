"""The generated demo images: RGBA PNGs of the right colours, transparent around the ink."""

from __future__ import annotations

import io

from PIL import Image

from lienthong.pdfsign import images

AGENCY = "Ủy ban nhân dân tỉnh Nghệ An"


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()
    return image


def _pixels(image: Image.Image) -> list[tuple[int, ...]]:
    raw = image.tobytes()
    return [tuple(raw[i : i + 4]) for i in range(0, len(raw), 4)]


def _ink(image: Image.Image) -> list[tuple[int, ...]]:
    return [p for p in _pixels(image) if p[3] >= 200]


def test_signature_is_a_blue_scribble_on_transparency() -> None:
    image = _open(images.signature_png("Trần Thị Bình"))
    assert image.mode == "RGBA"
    assert image.size == (591, 236)  # 50 x 20 mm at 300 dpi
    assert round(image.info["dpi"][0]) == 300
    pixels = _pixels(image)
    transparent = sum(1 for p in pixels if p[3] == 0)
    ink = _ink(image)
    assert transparent > 0.7 * len(pixels)  # mostly background
    assert len(ink) > 0.02 * len(pixels)  # but a real stroke
    for r, g, b, _ in ink:
        assert b > 140
        assert r < 60
        assert g < 90
    corners = [image.getpixel(xy) for xy in [(0, 0), (590, 0), (590, 235)]]
    assert all(c[3] == 0 for c in corners)  # type: ignore[index]


def test_signatures_differ_per_name_and_repeat_per_name() -> None:
    a = images.signature_image("Trần Thị Bình")
    b = images.signature_image("Nguyễn Văn An")
    assert a.tobytes() != b.tobytes()
    assert images.signature_image("Trần Thị Bình").tobytes() == a.tobytes()
    # NFC at the boundary: a decomposed name draws the same signature
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Trần Thị Bình")
    assert images.signature_image(decomposed).tobytes() == a.tobytes()


def test_seal_is_round_red_and_actual_size() -> None:
    image = _open(images.seal_png(AGENCY, diameter_mm=36))
    assert image.mode == "RGBA"
    assert image.size == (425, 425)  # 36 mm at 300 dpi
    assert round(image.info["dpi"][0]) == 300
    ink = _ink(image)
    assert len(ink) > 0.1 * image.width * image.height
    for r, g, b, _ in ink:
        assert r > 180
        assert g < 80
        assert b < 80
    # outside the circle: transparent corners
    for xy in [(0, 0), (424, 0), (0, 424), (424, 424), (20, 20)]:
        assert image.getpixel(xy)[3] == 0  # type: ignore[index]
    # the star fills the centre; the ring is drawn at the edge (left and right middle)
    assert image.getpixel((212, 212))[3] > 200  # type: ignore[index]
    assert image.getpixel((12, 212))[3] > 200  # type: ignore[index]
    assert image.getpixel((412, 212))[3] > 200  # type: ignore[index]


def test_seal_carries_the_agency_name_around_the_ring() -> None:
    """Different names give different ring text; the ring band holds most of the ink."""
    a = images.seal_image(AGENCY)
    b = images.seal_image("Văn phòng Chính phủ")
    assert a.tobytes() != b.tobytes()
    size = a.width
    c = size / 2
    ring = centre = 0
    for y in range(0, size, 3):
        for x in range(0, size, 3):
            if a.getpixel((x, y))[3] < 200:  # type: ignore[index]
                continue
            r = ((x - c) ** 2 + (y - c) ** 2) ** 0.5
            if 0.34 * size < r < 0.47 * size:
                ring += 1
            elif r < 0.3 * size:
                centre += 1
    assert ring > 300  # letters around the ring
    assert centre > 300  # the star


def test_seal_size_follows_the_diameter() -> None:
    assert images.seal_image(AGENCY, diameter_mm=40).size == (472, 472)
    assert images.seal_image(AGENCY, diameter_mm=36, dpi=150).size == (213, 213)
