"""Compose packages to send: a document package from a JSON spec (:mod:`.spec`), a status
package from a few fields. Strict, as everything we write: standard sender ids, numbers
and notations by the clerical rules, a built DocumentId, and a checked result (a package
with validation errors is refused, never written).
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime

from lienthong.edxml import model as m
from lienthong.edxml.agency_id import AgencyIdError, normalize_agency_id, require_standard
from lienthong.edxml.doctypes import (
    DocType,
    DocTypeError,
    EdxmlTypeTable,
    format_number,
    lookup_doctype,
    parse_code,
    parse_notation,
)
from lienthong.edxml.document_id import DocumentIdForm, build_document_id, parse_document_id
from lienthong.edxml.issues import ValidationReport
from lienthong.edxml.spec import (
    BusinessSpec,
    CodeSpec,
    DocumentSpec,
    DocumentTypeSpec,
    OrganizationSpec,
    SpecError,
    load_spec,
)
from lienthong.edxml.validate import validate_package
from lienthong.text import nfc

__all__ = [
    "DocumentSpec",
    "SpecError",
    "document_from_spec",
    "load_spec",
    "parse_status_code",
    "refuse_invalid",
    "status_package",
]


def _org(spec: OrganizationSpec) -> m.Organization:
    data = spec.model_dump()
    with contextlib.suppress(AgencyIdError):  # a bad id is named by validation, with its path
        data["organ_id"] = normalize_agency_id(spec.organ_id)
    return m.Organization(**data)


def _doctype(spec: DocumentTypeSpec | str, table: EdxmlTypeTable) -> m.DocumentType:
    name = spec if isinstance(spec, str) else spec.type_name
    doctype = lookup_doctype(name)
    explicit = not isinstance(spec, str) and spec.type is not None
    if doctype is None and not explicit:
        raise SpecError(
            f"document_type: {name!r} is not a known document type (e.g. 'Công văn', "
            "'Quyết định'); give type and type_detail to send an unlisted type",
            code="spec.doctype_unknown",
        )
    value = table.to_edxml(doctype) if doctype else m.DocumentType(type_name=name)
    if not isinstance(spec, str):
        value.type = spec.type if spec.type is not None else value.type
        value.type_detail = spec.type_detail if spec.type_detail is not None else value.type_detail
    return value


def _code(spec: CodeSpec | str, doctype: DocType | None) -> m.Code:
    """Number and notation, checked against the clerical rules for the document's type."""
    try:
        return _checked_code(spec, doctype)
    except DocTypeError as exc:
        raise SpecError(f"code: {exc.message}", code=exc.code) from None


def _checked_code(spec: CodeSpec | str, doctype: DocType | None) -> m.Code:
    if isinstance(spec, str):
        number_text, notation = parse_code(spec)
    else:
        number_text, notation = str(spec.code_number).strip(), spec.code_notation
    if not number_text.isascii() or not number_text.isdigit() or int(number_text) == 0:
        raise DocTypeError(
            f"number {number_text!r} must be a positive whole number", code="code.number"
        )
    if not notation:
        raise DocTypeError(
            "the notation is missing (write number/notation)", code="code.notation_missing"
        )
    if doctype is not None and not doctype.is_normative:
        _check_notation(notation, doctype)
    return m.Code(format_number(int(number_text)), notation)


def _check_notation(notation: str, doctype: DocType) -> None:
    named = parse_notation(notation).doctype
    if doctype.abbreviation is None and named is not None:
        raise DocTypeError(
            f"notation {notation!r} names a {named.name} ({named.abbreviation}) but the document "
            f"is a {doctype.name}, which has no type abbreviation",
            code="code.notation_type",
        )
    if doctype.abbreviation is not None and named is not doctype:
        raise DocTypeError(
            f"the notation of a {doctype.name} starts with {doctype.abbreviation}- "
            f"(e.g. 12/{doctype.abbreviation}-UBND), not {notation!r}",
            code="code.notation_type",
        )


def _business(spec: BusinessSpec) -> m.Business:
    info = spec.business_document_info
    return m.Business(
        business_doc_type=spec.business_doc_type,
        business_doc_reason=spec.business_doc_reason,
        business_document_info=None
        if info is None
        else m.BusinessDocumentInfo(
            info.document_info,
            info.document_receiver,
            [m.Receiver(r.organ_id, r.receiver_type) for r in info.receivers],
        ),
        document_id=spec.document_id,
        staff_info=m.StaffInfo(**spec.staff_info.model_dump()) if spec.staff_info else None,
        paper=spec.paper,
        replacement_infos=[
            m.ReplacementInfo(r.document_id, list(r.organ_ids)) for r in spec.replacement_infos
        ],
    )


def document_from_spec(
    spec: DocumentSpec,
    *,
    now: datetime,
    attachments: list[m.Attachment] | None = None,
    type_table: EdxmlTypeTable | None = None,
) -> m.DocumentPackage:
    """Turn a spec into a package. ``now`` (naive Vietnam time) stamps the trace header and
    is the promulgation date when the spec gives none. Refuses non-standard sender ids."""
    try:
        sender = require_standard(spec.from_.organ_id)
    except AgencyIdError as exc:
        raise SpecError(f"from.organ_id: {exc.message}", code=exc.code) from None
    doctype_name = (
        spec.document_type if isinstance(spec.document_type, str) else spec.document_type.type_name
    )
    code = _code(spec.code, lookup_doctype(doctype_name))
    issued = spec.promulgation_info.promulgation_date or now.date()
    promulgation = m.PromulgationInfo(spec.promulgation_info.place, issued)
    document_id = spec.document_id or build_document_id(
        sender.value, issued, code.code_number, code.code_notation
    )
    other = spec.other_info
    header = m.MessageHeader(
        from_=_org(spec.from_),
        to=[_org(o) for o in spec.to],
        code=code,
        promulgation_info=promulgation,
        document_type=_doctype(spec.document_type, type_table or EdxmlTypeTable()),
        subject=spec.subject,
        content=spec.content,
        signer_info=m.SignerInfo(**spec.signer_info.model_dump()),
        due_date=spec.due_date,
        to_places=list(spec.to_places),
        other_info=m.OtherInfo(
            priority=other.priority,
            sphere_of_promulgation=other.sphere_of_promulgation,
            typer_notation=other.typer_notation,
            promulgation_amount=other.promulgation_amount,
            page_amount=other.page_amount,
            appendixes=list(other.appendixes),
        ),
        response_for=[m.ResponseFor(**r.model_dump()) for r in spec.response_for],
        steering_type=spec.steering_type,
        document_id=document_id,
    )
    return m.DocumentPackage(
        header=header,
        trace_headers=[m.TraceHeader(sender.value, now.replace(microsecond=0))],
        business=_business(spec.business),
        attachments=list(attachments or []),
    )


def parse_status_code(value: str) -> m.StatusCode:
    """``"03"`` (or ``"3"``) → :attr:`StatusCode.ACCEPTED`; unknown codes are refused."""
    text = value.strip()
    if text.isdigit() and len(text) == 1:
        text = f"0{text}"
    try:
        return m.StatusCode(text)
    except ValueError:
        known = ", ".join(f"{c.value} ({c.meaning})" for c in m.StatusCode)
        raise SpecError(
            f"{value!r} is not a status code; known codes: {known}", code="status.code_unknown"
        ) from None


def status_package(
    *,
    from_organ_id: str,
    document_id: str,
    code: str | m.StatusCode,
    now: datetime,
    description: str = "",
    from_name: str = "",
    staff_info: m.StaffInfo | None = None,
) -> m.StatusPackage:
    """A status package about ``document_id``; ResponseFor is filled from the id itself."""
    try:
        sender = require_standard(from_organ_id)
    except AgencyIdError as exc:
        raise SpecError(f"--from: {exc.message}", code=exc.code) from None
    parsed = parse_document_id(document_id)
    if parsed.form is not DocumentIdForm.NATIONAL or not parsed.ok:
        reasons = "; ".join(p.message for p in parsed.problems) or "it is a UUID"
        raise SpecError(
            f"cannot fill ResponseFor from document id {document_id!r}: {reasons}",
            code="status.document_id",
        )
    status = code if isinstance(code, m.StatusCode) else parse_status_code(code)
    return m.StatusPackage(
        from_=m.Organization(sender.value, organ_name=nfc(from_name.strip())),
        response_for=m.ResponseFor(
            organ_id=parsed.organ_id,
            code=parsed.code,
            promulgation_date=parsed.promulgation_date,
            document_id=parsed.value,
        ),
        status_code=status,
        description=nfc(description.strip()),
        timestamp=now.replace(microsecond=0),
        staff_info=staff_info,
    )


def refuse_invalid(
    pkg: m.DocumentPackage | m.StatusPackage, *, today: date | None = None
) -> ValidationReport:
    """Validate a package about to be written; raise :class:`SpecError` on any error."""
    report = validate_package(pkg, today=today)
    if not report.ok:
        lines = "\n".join(f"  {p.path}: [{p.code}] {p.message}" for p in report.errors)
        raise SpecError(f"the package would be invalid:\n{lines}", code="spec.package_invalid")
    return report
