"""Where the visible signatures go on the page (Decree 30 placement, configurable).

Coordinates are PDF points (1/72 inch) with the origin at the bottom left of the page.
The defaults fit the signature block of an A4 document drafted to Decree 30: the title
line ("TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH") and the signer's full name are part of the
document; the signer's image goes in the gap between them, the agency's seal overlaps the
left third of that image, and attachments carry a small text stamp at the top right of
their first page.
"""

from __future__ import annotations

from dataclasses import dataclass

PT_PER_MM = 72 / 25.4
#: A4 portrait in points.
A4 = (595.28, 841.89)


@dataclass(frozen=True)
class Rect:
    """A box on a page: lower-left corner, width and height, in points."""

    x: float
    y: float
    width: float
    height: float

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"a box needs a positive size, got {self.width}x{self.height}")

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def top(self) -> float:
        return self.y + self.height

    def as_field_box(self) -> tuple[int, int, int, int]:
        """``(llx, lly, urx, ury)`` in whole points, the form pyHanko's field spec takes."""
        return (round(self.x), round(self.y), round(self.right), round(self.top))


#: Where the signer's image goes on the demo A4 document (see :mod:`.sample`).
DEFAULT_SIGNER_BOX = Rect(x=365.0, y=205.0, width=150.0, height=62.0)


@dataclass(frozen=True)
class SignatureLayout:
    """Placement of the signer's signature image and of the agency's seal.

    ``page`` counts from 0; negative values count from the end (-1 = last page, where
    the signature block usually is). The seal is drawn at its actual size
    (``seal_diameter_mm``); unless ``seal_box`` is given, it sits vertically centred on
    the signer's box and covers ``seal_overlap`` of the signer's box from its left edge.
    With ``seal_details``, the agency name and the signing time are written under the
    seal in red, ``details_font_size`` pt.
    """

    page: int = -1
    signer_box: Rect = DEFAULT_SIGNER_BOX
    seal_diameter_mm: float = 36.0
    seal_overlap: float = 1 / 3
    seal_offset_y: float = 0.0
    seal_details: bool = True
    details_font_size: float = 7.0
    seal_box: Rect | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.seal_overlap <= 1:
            raise ValueError("seal_overlap is a fraction of the signer's box (0..1)")
        if self.seal_diameter_mm <= 0 or self.details_font_size <= 0:
            raise ValueError("the seal diameter and the details font size must be positive")

    @property
    def seal_diameter(self) -> float:
        """The seal's diameter in points."""
        return self.seal_diameter_mm * PT_PER_MM

    @property
    def details_height(self) -> float:
        """Height of the two detail lines under the seal (0 without details)."""
        return 2 * self.details_font_size * 1.25 + 2 if self.seal_details else 0.0

    def seal_rect(self) -> Rect:
        """The agency field's box: the seal, plus the details under it."""
        if self.seal_box is not None:
            return self.seal_box
        d = self.seal_diameter
        box = self.signer_box
        centre_y = box.y + box.height / 2 + self.seal_offset_y
        right = box.x + box.width * self.seal_overlap
        return Rect(
            x=right - d,
            y=centre_y - d / 2 - self.details_height,
            width=d,
            height=d + self.details_height,
        )


@dataclass(frozen=True)
class AttachmentLayout:
    """Placement of the agency's text stamp on an attachment (no seal image).

    Unless ``box`` is given, the stamp's box is as wide as its longest line and sits
    ``margin_top_mm`` below the top and ``margin_right_mm`` left of the right edge of
    page ``page`` (0 = first page), Times New Roman (Liberation Serif) ``font_size`` pt.
    """

    page: int = 0
    margin_top_mm: float = 6.0
    margin_right_mm: float = 15.0
    font_size: float = 10.0
    leading: float = 12.0
    padding: float = 3.0
    box: Rect | None = None

    def rect(self, page_width: float, page_height: float, text_width: float, lines: int) -> Rect:
        """The stamp's box on a page of the given size, for text of the given extent."""
        if self.box is not None:
            return self.box
        width = text_width + 2 * self.padding
        height = lines * self.leading + 2 * self.padding
        return Rect(
            x=page_width - self.margin_right_mm * PT_PER_MM - width,
            y=page_height - self.margin_top_mm * PT_PER_MM - height,
            width=width,
            height=height,
        )
