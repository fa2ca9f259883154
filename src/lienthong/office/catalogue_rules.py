"""The catalogue of document kinds by required form, and how it applies to a document.

Each agency keeps a catalogue (revised yearly): which kinds of documents go electronic
only, and which go electronic and paper in parallel. When a document is created the
catalogue supplies its default form; a document that departs from its entry is saved
anyway, with a warning (:class:`~lienthong.office.documents.Notice`), never an error.

:data:`DEFAULT_CATALOGUE` is the example of one ministry in ``targets.md``; new office
agencies are seeded with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lienthong.office.documents import Notice, Warning_
from lienthong.office.model import Confidentiality, DocumentForm, RequiredForm

#: Scopes of the default catalogue: between the agency's own units, or with the provinces.
INTERNAL = "internal"
PROVINCIAL = "provincial"


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """A kind of document and the form it must take. ``doctype_key`` (a
    :mod:`lienthong.edxml.doctypes` key) lets a new document find its entry by type."""

    name: str
    required_form: RequiredForm
    scope: str = INTERNAL
    doctype_key: str | None = None
    active: bool = True
    id: int | None = None
    position: int = 0


_E, _EP = RequiredForm.ELECTRONIC, RequiredForm.ELECTRONIC_AND_PAPER

DEFAULT_CATALOGUE: tuple[CatalogueEntry, ...] = (
    CatalogueEntry("Giấy mời, giấy triệu tập họp", _E, INTERNAL, "giay_moi"),
    CatalogueEntry(
        "Báo cáo công tác định kỳ (tháng, quý, 6 tháng) và đột xuất theo yêu cầu",
        _E,
        INTERNAL,
        "bao_cao",
    ),
    CatalogueEntry("Văn bản gửi lãnh đạo để biết", _E, INTERNAL),
    CatalogueEntry("Công văn trao đổi ý kiến", _E, INTERNAL, "cong_van"),
    CatalogueEntry(
        "Thông báo (con dấu mới, chữ ký, địa chỉ trụ sở, kết luận của lãnh đạo)",
        _E,
        INTERNAL,
        "thong_bao",
    ),
    CatalogueEntry("Giấy ủy quyền báo cáo thay khi vắng mặt", _E, INTERNAL, "giay_uy_quyen"),
    CatalogueEntry("Bản sao văn bản gửi để phối hợp", _E, INTERNAL),
    CatalogueEntry("Văn bản quy phạm pháp luật gửi để biết", _E, INTERNAL),
    CatalogueEntry("Lịch công tác", _E, INTERNAL),
    CatalogueEntry("Đăng ký sử dụng xe", _E, INTERNAL),
    CatalogueEntry("Đăng ký phòng họp", _E, INTERNAL),
    CatalogueEntry("Hồ sơ trình lãnh đạo", _EP, INTERNAL, "to_trinh"),
    CatalogueEntry("Văn bản về tài chính, kinh phí", _EP, INTERNAL),
    CatalogueEntry("Văn bản về tổ chức, cán bộ", _EP, INTERNAL),
    CatalogueEntry("Hồ sơ cấp phép, thi đua, khen thưởng", _EP, INTERNAL),
    CatalogueEntry("Báo cáo năm, báo cáo thống kê", _EP, INTERNAL),
    CatalogueEntry("Văn bản quy phạm pháp luật liên quan đến ngành", _EP, INTERNAL),
    CatalogueEntry("Giấy mời, giấy triệu tập", _E, PROVINCIAL),
    CatalogueEntry(
        "Báo cáo công tác (tháng, quý, 6 tháng, 9 tháng) và đột xuất theo yêu cầu",
        _E,
        PROVINCIAL,
    ),
    CatalogueEntry(
        "Văn bản xin ý kiến, tài liệu họp, thông tin chỉ đạo, điều hành", _E, PROVINCIAL
    ),
    CatalogueEntry("Báo cáo thống kê, bản sao văn bản, đăng ký lịch công tác", _E, PROVINCIAL),
)


@dataclass(frozen=True, slots=True)
class FormDecision:
    """The form a document takes, the catalogue entry that applied, and the warnings."""

    form: DocumentForm
    entry: CatalogueEntry | None
    warnings: tuple[Notice, ...]


def find_entry(entries: Sequence[CatalogueEntry], doctype_key: str) -> CatalogueEntry | None:
    """The first active entry for a document type, if the catalogue names the type."""
    return next((e for e in entries if e.active and e.doctype_key == doctype_key), None)


def decide_form(
    entries: Sequence[CatalogueEntry],
    *,
    doctype_key: str,
    requested: DocumentForm | None,
    entry_id: int | None = None,
    confidentiality: Confidentiality = Confidentiality.NONE,
) -> FormDecision:
    """Apply the catalogue to a new document.

    The entry is the one named by ``entry_id``, else the first for the document's type.
    Without a requested form the entry's default applies (electronic when no entry
    matches). A requested form that departs from the entry gives a warning; so does an
    electronic form for a document with state secrets (those travel on paper only).
    """
    entry = None
    if entry_id is not None:
        entry = next((e for e in entries if e.id == entry_id), None)
    if entry is None:
        entry = find_entry(entries, doctype_key)
    warnings: list[Notice] = []
    if confidentiality.secret:
        form = requested or DocumentForm.PAPER
        if form is not DocumentForm.PAPER:
            warnings.append(
                Notice(
                    Warning_.SECRET_ELECTRONIC.value,
                    "văn bản có độ mật không được gửi, nhận qua mạng; nên để hình thức giấy",
                )
            )
        return FormDecision(form, entry, tuple(warnings))
    if entry is None:
        return FormDecision(requested or DocumentForm.ELECTRONIC, None, ())
    expected = entry.required_form.default_form
    form = requested or expected
    if form is not expected:
        warnings.append(
            Notice(
                Warning_.FORM_DEPARTS.value,
                f"danh mục quy định “{entry.name}”: {entry.required_form.label_vi.lower()}; "
                f"văn bản này có hình thức “{form.label_vi.lower()}”",
            )
        )
    return FormDecision(form, entry, tuple(warnings))
