"""Vietnamese text helpers: NFC at the boundary, one diacritics fold for search."""

from __future__ import annotations

import unicodedata

_EXTRA_FOLD = str.maketrans({"đ": "d", "Đ": "D"})


def nfc(value: str) -> str:
    """Normalise to NFC (the form every stored string takes)."""
    return unicodedata.normalize("NFC", value)


def fold(value: str) -> str:
    """Fold diacritics (đ→d included) and case, for search and matching.

    ``fold("Công văn Hỏa tốc") == "cong van hoa toc"``.
    """
    decomposed = unicodedata.normalize("NFD", value.translate(_EXTRA_FOLD))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
