"""Fonts for visible signatures: a Times-metric serif with Vietnamese, found once, cached.

Decree 30 asks for Times New Roman; Debian's ``fonts-liberation2`` ships Liberation Serif,
metric-compatible with it and covering Vietnamese (``scripts/system-deps.sh`` installs it).
``LIENTHONG_FONT_DIR`` points elsewhere when the fonts live in another folder.

Embedding goes through pyHanko's OpenType engine (HarfBuzz shaping, subset embedding).
To keep a signature cheap, the font is cut once per process to the glyphs a Vietnamese
stamp can use (:data:`STAMP_ALPHABET`), so the per-document subset works on a small font, and rescaled to
1000 units per em (pyHanko's text engine assumes it).
"""

from __future__ import annotations

import functools
import io
import os
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lienthong.errors import SignatureError

#: Where Debian puts the fonts we use, newest package first.
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
)
SERIF_REGULAR = "LiberationSerif-Regular.ttf"
SERIF_BOLD = "LiberationSerif-Bold.ttf"
SANS_BOLD = "LiberationSans-Bold.ttf"

_VIETNAMESE_LOWER = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵfjwz"
)
#: Every character a stamp may show; others are dropped from the cached subset.
STAMP_ALPHABET = (
    _VIETNAMESE_LOWER
    + _VIETNAMESE_LOWER.upper()
    + "0123456789"
    + " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~–—’“”…°·"
)
_BASE_CHARS = frozenset("0123456789 +-:.,/()T")


def font_path(file_name: str) -> Path:
    """The path of a font file, or :class:`SignatureError` ``pdfsign.font_missing``."""
    dirs: list[Path] = []
    env_dir = os.environ.get("LIENTHONG_FONT_DIR")
    if env_dir:
        dirs.append(Path(env_dir))
    dirs.extend(FONT_DIRS)
    for folder in dirs:
        candidate = folder / file_name
        if candidate.is_file():
            return candidate
    raise SignatureError(
        f"font {file_name} not found (install fonts-liberation2: scripts/system-deps.sh)",
        code="pdfsign.font_missing",
    )


@dataclass(frozen=True)
class FontProgram:
    """A font cut to a set of characters, at 1000 units per em, ready to embed."""

    ttf: bytes = field(repr=False)
    flate: bytes = field(repr=False)


@functools.lru_cache(maxsize=64)
def font_program(file_name: str, chars: frozenset[str]) -> FontProgram:
    """``file_name`` cut to ``chars`` (cached per process: cutting costs ~0.1 s)."""
    from fontTools import subset  # type: ignore[import-untyped]
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
    from fontTools.ttLib.scaleUpem import scale_upem  # type: ignore[import-untyped]

    font = TTFont(str(font_path(file_name)))
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    # pyHanko writes glyph widths and kerning in font units as if they were thousandths
    # of an em, so the font is rescaled to 1000 units per em (Liberation has 2048).
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    out = io.BytesIO()
    font.save(out)
    ttf = out.getvalue()
    return FontProgram(ttf=ttf, flate=zlib.compress(ttf, 6))


def _stamp_subset(file_name: str) -> bytes:
    return font_program(file_name, frozenset(STAMP_ALPHABET)).ttf


@functools.lru_cache(maxsize=8)
def _advance_table(file_name: str) -> tuple[dict[int, int], int, int]:
    """Character → advance width (font units), the missing-glyph width, units per em."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(_stamp_subset(file_name)))
    cmap = font.getBestCmap()
    hmtx = font["hmtx"]
    widths = {code: hmtx[glyph][0] for code, glyph in cmap.items()}
    return widths, hmtx[".notdef"][0], int(font["head"].unitsPerEm)


def text_width(text: str, size: float, file_name: str = SERIF_REGULAR) -> float:
    """Width of ``text`` at ``size`` pt (advance widths, no kerning: enough for layout)."""
    widths, missing, units = _advance_table(file_name)
    return sum(widths.get(ord(ch), missing) for ch in text) * size / units


def _cut_font_engine(writer: Any, program: FontProgram, font_size: float, obj_stream: Any) -> Any:
    """pyHanko's glyph accumulator over a font already cut for the stamp.

    pyHanko would subset and re-serialise the font for every document (~9 ms); the cut
    font is small, so it is embedded as it is, from bytes compressed once.
    """
    from pyhanko.pdf_utils import generic as _generic
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator

    generic: Any = _generic

    engine = GlyphAccumulator(
        writer=writer,
        font_handle=io.BytesIO(program.ttf),
        font_size=font_size,
        bcp47_lang_code="vi",
        obj_stream=obj_stream,
    )
    cidfont: Any = engine.cidfont_obj
    if cidfont.get("/Subtype") != "/CIDFontType2":  # pragma: no cover - TrueType fonts only
        return engine
    engine._subset_created = True  # the program is already the subset

    def set_font_file(target: Any) -> Any:
        stream = generic.StreamObject(
            {
                generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode"),
                generic.pdf_name("/Length1"): generic.NumberObject(len(program.ttf)),
            },
            encoded_data=program.flate,
        )
        ref = target.add_object(stream)
        cidfont._font_descriptor[generic.pdf_name("/FontFile2")] = ref
        return ref

    cidfont.set_font_file = set_font_file
    return engine


@dataclass(frozen=True)
class StampFontFactory:
    """A pyHanko font engine factory over one font file cut to ``chars``.

    Create it once (:meth:`for_text` for the characters a signer's stamps use); every
    document gets its own engine, built from the cached cut font in memory.
    """

    file_name: str = SERIF_REGULAR
    font_size: float = 10
    chars: frozenset[str] = frozenset(STAMP_ALPHABET)

    def for_text(self, *texts: str) -> StampFontFactory:
        """The same font cut to the characters of ``texts`` (plus digits and punctuation)."""
        return replace(self, chars=frozenset("".join(texts)) | _BASE_CHARS)

    def covers(self, text: str) -> bool:
        return set(text) <= self.chars

    def create_font_engine(self, writer: Any, obj_stream: Any = None) -> Any:
        """Called by pyHanko's text boxes and our stamps: a fresh engine for ``writer``."""
        return _cut_font_engine(
            writer, font_program(self.file_name, self.chars), self.font_size, obj_stream
        )
