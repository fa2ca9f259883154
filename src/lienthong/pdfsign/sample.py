"""Demo documents to sign: one-page A4 PDFs in Vietnamese, drafted to Decree 30's layout.

Tests, the demo and the benchmarks generate their PDFs here instead of keeping binaries:
:func:`decision_pdf` is a *Quyết định* whose signature block leaves the gap the default
:class:`~lienthong.pdfsign.layout.SignatureLayout` fills; :func:`attachment_pdf` is a plain
annex whose top right stays free for the attachment stamp.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from pyhanko.pdf_utils import generic as _generic
from pyhanko.pdf_utils import writer as _writer
from pyhanko.pdf_utils.generic import pdf_name

from lienthong.pdfsign import fonts
from lienthong.pdfsign.layout import A4, DEFAULT_SIGNER_BOX, PT_PER_MM
from lienthong.text import nfc

# pyHanko's object constructors are untyped
generic: Any = _generic
PageObject: Any = _writer.PageObject
PdfFileWriter: Any = _writer.PdfFileWriter

_FACES = {"F1": fonts.SERIF_REGULAR, "F2": fonts.SERIF_BOLD, "F3": "LiberationSerif-Italic.ttf"}
LEFT = 30 * PT_PER_MM
RIGHT = A4[0] - 15 * PT_PER_MM


@dataclass(frozen=True)
class DecisionText:
    """What the demo decision says (all of it shown on the page)."""

    agency_name: str = "Ủy ban nhân dân tỉnh Nghệ An"
    parent_agency: str = ""
    number_notation: str = "Số: 125/QĐ-UBND"
    place_date: str = "Nghệ An, ngày 23 tháng 11 năm 2026"
    title: str = "QUYẾT ĐỊNH"
    summary: str = "Về việc phê duyệt kế hoạch chuyển đổi số năm 2027"
    body: tuple[str, ...] = (
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
        "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công "
        "tác văn thư;",
        "Theo đề nghị của Giám đốc Sở Thông tin và Truyền thông.",
        "Điều 1. Phê duyệt kế hoạch chuyển đổi số năm 2027 kèm theo Quyết định này.",
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
        "Điều 3. Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc các sở, ngành và các cơ "
        "quan, đơn vị liên quan chịu trách nhiệm thi hành Quyết định này./.",
    )
    recipients: tuple[str, ...] = ("Như Điều 3;", "Bộ Thông tin và Truyền thông;", "Lưu: VT.")
    authority: str = "TM. ỦY BAN NHÂN DÂN"
    signer_title: str = "CHỦ TỊCH"
    signer_name: str = "Trần Thị Bình"


@dataclass
class _Page:
    """A content stream under construction, with our three serif faces."""

    writer: Any
    engines: dict[str, Any] = field(default_factory=dict)
    ops: list[bytes] = field(default_factory=list)

    def engine(self, face: str, size: float) -> Any:
        if face not in self.engines:
            factory = fonts.StampFontFactory(file_name=_FACES[face])
            self.engines[face] = factory.create_font_engine(self.writer)
        engine = self.engines[face]
        engine.font_size = size
        return engine

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 13,
        face: str = "F1",
        align: str = "left",
    ) -> None:
        text = nfc(text)
        shaped = self.engine(face, size).shape(text)
        width = shaped.x_advance * size
        if align == "centre":
            x -= width / 2
        elif align == "right":
            x -= width
        self.ops.append(
            b"BT /%s %.2f Tf 1 0 0 1 %.3f %.3f Tm %s ET"
            % (face.encode(), size, x, y, shaped.graphics_ops)
        )

    def rule(self, x0: float, x1: float, y: float) -> None:
        self.ops.append(b"q 0.6 w %.2f %.2f m %.2f %.2f l S Q" % (x0, y, x1, y))

    def paragraph(
        self,
        x: float,
        y: float,
        width: float,
        text: str,
        *,
        size: float = 13,
        indent: float = 28,
        leading: float = 18,
    ) -> float:
        """Wrap ``text`` to ``width``; returns the baseline under the last line."""
        words, line, first = nfc(text).split(), "", True
        for word in words:
            candidate = f"{line} {word}".strip()
            room = width - (indent if first else 0)
            if line and fonts.text_width(candidate, size) > room:
                self.text(x + (indent if first else 0), y, line, size=size)
                y, line, first = y - leading, word, False
            else:
                line = candidate
        if line:
            self.text(x + (indent if first else 0), y, line, size=size)
            y -= leading
        return y

    def add_to(self, writer: Any) -> None:
        font_dict = generic.DictionaryObject(
            {pdf_name("/" + name): engine.as_resource() for name, engine in self.engines.items()}
        )
        resources = generic.DictionaryObject({pdf_name("/Font"): font_dict})
        stream = writer.add_object(generic.StreamObject(stream_data=b"\n".join(self.ops)))
        writer.insert_page(PageObject(contents=stream, media_box=(0, 0, *A4), resources=resources))


def two_lines(text: str, size: float, max_width: float) -> list[str]:
    """``text`` on one line, or split in two lines of balanced width when too wide."""
    words = text.split()
    if fonts.text_width(text, size) <= max_width or len(words) < 2:
        return [text]
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    best = min(
        splits, key=lambda p: max(fonts.text_width(p[0], size), fonts.text_width(p[1], size))
    )
    return list(best)


def _finish(writer: Any) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def decision_pdf(text: DecisionText | None = None) -> bytes:
    """A one-page decision whose signature block matches the default signature layout."""
    t = text or DecisionText()
    writer = PdfFileWriter(stream_xrefs=False)
    page = _Page(writer)
    top = A4[1] - 20 * PT_PER_MM
    left_c, right_c = LEFT + 95, RIGHT - 150
    y = top
    if t.parent_agency:
        page.text(left_c, y, t.parent_agency.upper(), size=12, align="centre")
        y -= 15
    for line in two_lines(t.agency_name.upper(), 12, 170):
        page.text(left_c, y, line, size=12, face="F2", align="centre")
        y -= 15
    page.rule(left_c - 30, left_c + 30, y + 10)
    page.text(left_c, y - 11, t.number_notation, size=13, align="centre")
    page.text(
        right_c, top, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, face="F2", align="centre"
    )
    page.text(right_c, top - 15, "Độc lập - Tự do - Hạnh phúc", size=13, face="F2", align="centre")
    page.rule(right_c - 80, right_c + 80, top - 20)
    page.text(right_c, top - 41, t.place_date, size=13, face="F3", align="centre")

    y = top - 90
    page.text(A4[0] / 2 + 20, y, t.title, size=14, face="F2", align="centre")
    page.text(A4[0] / 2 + 20, y - 17, t.summary, size=14, face="F2", align="centre")
    page.text(A4[0] / 2 + 20, y - 45, t.agency_name.upper(), size=14, face="F2", align="centre")
    y -= 75
    for item in t.body:
        y = page.paragraph(LEFT, y, RIGHT - LEFT, item) - 4

    box = DEFAULT_SIGNER_BOX
    centre = box.x + box.width / 2
    page.text(centre, box.top + 22, t.authority, size=13, face="F2", align="centre")
    page.text(centre, box.top + 7, t.signer_title, size=13, face="F2", align="centre")
    page.text(centre, box.y - 14, t.signer_name, size=13, face="F2", align="centre")
    page.text(LEFT, box.top + 22, "Nơi nhận:", size=12, face="F2")
    for i, who in enumerate(t.recipients):
        page.text(LEFT, box.top + 8 - i * 13, f"- {who}", size=11)
    page.add_to(writer)
    return _finish(writer)


def attachment_pdf(title: str = "KẾ HOẠCH CHUYỂN ĐỔI SỐ NĂM 2027", pages: int = 1) -> bytes:
    """A plain annex of ``pages`` A4 pages, its first page's top right left free."""
    writer = PdfFileWriter(stream_xrefs=False)
    for n in range(pages):
        page = _Page(writer)
        y = A4[1] - 35 * PT_PER_MM
        if n == 0:
            page.text(A4[0] / 2, y, title, size=14, face="F2", align="centre")
            page.text(
                A4[0] / 2,
                y - 17,
                "(Kèm theo Quyết định số 125/QĐ-UBND)",
                size=13,
                face="F3",
                align="centre",
            )
            y -= 50
        for i in range(1, 6):
            y = (
                page.paragraph(
                    LEFT,
                    y,
                    RIGHT - LEFT,
                    f"{i}. Nhiệm vụ số {i + 5 * n}: số hóa hồ sơ, tài liệu; kết nối trục liên thông "
                    "văn bản quốc gia; bảo đảm an toàn thông tin và chữ ký số chuyên dùng.",
                )
                - 6
            )
        page.text(A4[0] / 2, 15 * PT_PER_MM, f"{n + 1}", size=11, align="centre")
        page.add_to(writer)
    return _finish(writer)
