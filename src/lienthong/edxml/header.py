"""Reading the headers of edXML packages from the parsed tree into the model.

Any child order is accepted, optional parts may be missing or empty, odd ``OrganId``
values are kept as text (the validator judges them). Each element is visited through a
:class:`~lienthong.edxml.fields.Node` (its children indexed in one pass).
"""

from __future__ import annotations

from lienthong.edxml.fields import Fields, Node, local_name
from lienthong.edxml.model import (
    Business,
    BusinessDocType,
    BusinessDocumentInfo,
    Code,
    DocumentType,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusCode,
    StatusPackage,
    TraceHeader,
)
from lienthong.edxml.tree import E
from lienthong.edxml.values import clean
from lienthong.errors import PackageError

_SINGLE_DOCUMENT = (
    "From",
    "Code",
    "PromulgationInfo",
    "DocumentType",
    "Subject",
    "Content",
    "SignerInfo",
    "DueDate",
    "ToPlaces",
    "OtherInfo",
    "SteeringType",
    "DocumentId",
)
_SINGLE_STATUS = ("From", "ResponseFor", "StaffInfo", "StatusCode", "Description", "Timestamp")
_OTHER_INFO_KNOWN = frozenset(
    {
        "Priority",
        "SphereOfPromulgation",
        "TyperNotation",
        "PromulgationAmount",
        "PageAmount",
        "Appendixes",
    }
)


def organization(f: Fields, el: Node) -> Organization:
    return Organization(
        organ_id=f.text(el, "OrganId"),
        organ_name=f.text(el, "OrganName"),
        organization_in_charge=f.text(el, "OrganizationInCharge"),
        organ_add=f.text(el, "OrganAdd"),
        email=f.text(el, "Email"),
        telephone=f.text(el, "Telephone"),
        fax=f.text(el, "Fax"),
        website=f.text(el, "Website"),
    )


def _code(f: Fields, el: Node | None) -> Code:
    if el is None:
        return Code("")
    if el.get("CodeNumber") is not None or el.get("CodeNotation") is not None:
        return Code(f.text(el, "CodeNumber"), f.text(el, "CodeNotation"))
    raw = clean(el.el.text)
    if raw:
        f.warn("value.code_text", f"Code given as text {raw!r}; split at the first '/'", el.el)
    number, _, notation = raw.partition("/")
    return Code(number.strip(), notation.strip())


def _code_text(f: Fields, el: Node | None) -> str:
    """``ResponseFor/Code``: text in practice, number/notation children accepted too."""
    if el is None:
        return ""
    if el.get("CodeNumber") is not None or el.get("CodeNotation") is not None:
        number, notation = f.text(el, "CodeNumber"), f.text(el, "CodeNotation")
        return f"{number}/{notation}" if notation else number
    return clean(el.el.text)


def response_for(f: Fields, el: Node) -> ResponseFor:
    return ResponseFor(
        organ_id=f.text(el, "OrganId"),
        code=_code_text(f, el.node("Code")),
        promulgation_date=f.date(el, "PromulgationDate"),
        document_id=f.text(el, "DocumentId"),
    )


def staff_info(f: Fields, el: Node | None) -> StaffInfo | None:
    if el is None:
        return None
    info = StaffInfo(
        department=f.text(el, "Department"),
        staff=f.text(el, "Staff"),
        mobile=f.text(el, "Mobile"),
        email=f.text(el, "Email"),
    )
    return info if info != StaffInfo() else None


def _other_info(f: Fields, el: Node | None) -> OtherInfo:
    if el is None:
        return OtherInfo()
    extra: dict[str, str] = {}
    for child in el.el:
        tag = child.tag
        if not isinstance(tag, str) or not tag.startswith(E):
            continue
        name = tag[len(E) :]
        if name in _OTHER_INFO_KNOWN:
            continue
        if len(child) == 0 and (value := clean(child.text)) and name not in extra:
            extra[name] = value
    return OtherInfo(
        priority=f.integer(el, "Priority", 0),
        sphere_of_promulgation=f.text(el, "SphereOfPromulgation"),
        typer_notation=f.text(el, "TyperNotation"),
        promulgation_amount=f.optional_int(el, "PromulgationAmount"),
        page_amount=f.optional_int(el, "PageAmount"),
        appendixes=f.texts(el, "Appendixes", "Appendix"),
        extra=extra,
    )


def message_header(f: Fields, mh: Node) -> MessageHeader:
    """§1.1–§1.14 of a document package."""
    f.check_single(mh, _SINGLE_DOCUMENT)
    promulgation = mh.node("PromulgationInfo")
    doc_type = mh.node("DocumentType")
    signer = mh.node("SignerInfo")
    responses = [response_for(f, Node(el)) for el in mh.all("ResponseFor")]
    return MessageHeader(
        from_=organization(f, f.require(mh, "From")),
        to=[organization(f, Node(el)) for el in mh.all("To")],
        code=_code(f, mh.node("Code")),
        promulgation_info=PromulgationInfo(
            place=f.text(promulgation, "Place"),
            promulgation_date=f.date(promulgation, "PromulgationDate"),
        )
        if promulgation is not None
        else PromulgationInfo(),
        document_type=DocumentType(
            type=f.integer(doc_type, "Type", 1),
            type_detail=f.integer(doc_type, "TypeDetail", 0),
            type_name=f.text(doc_type, "TypeName"),
        )
        if doc_type is not None
        else DocumentType(),
        subject=f.text(mh, "Subject"),
        content=f.text(mh, "Content"),
        signer_info=SignerInfo(
            competence=f.text(signer, "Competence"),
            position=f.text(signer, "Position"),
            full_name=f.text(signer, "FullName"),
        )
        if signer is not None
        else SignerInfo(),
        due_date=f.date(mh, "DueDate"),
        to_places=f.texts(mh, "ToPlaces", "Place"),
        other_info=_other_info(f, mh.node("OtherInfo")),
        # An all-empty ResponseFor (some systems always send one) means "none".
        response_for=[r for r in responses if r != ResponseFor("")],
        steering_type=f.integer(mh, "SteeringType", 0),
        document_id=f.text(mh, "DocumentId"),
    )


def trace_headers(f: Fields, trace_list: Node | None) -> list[TraceHeader]:
    result: list[TraceHeader] = []
    if trace_list is None:
        return result
    for el in trace_list.all("TraceHeader"):
        node = Node(el)
        stamp = f.timestamp(node, "Timestamp")
        if stamp is None:
            f.warn("trace.dropped", "TraceHeader without a readable Timestamp dropped", el)
            continue
        result.append(TraceHeader(organ_id=f.text(node, "OrganId"), timestamp=stamp))
    return result


def _doc_type(f: Fields, el: Node) -> BusinessDocType:
    raw = f.optional_int(el, "BussinessDocType")
    if raw is None:
        return BusinessDocType.NEW
    try:
        return BusinessDocType(raw)
    except ValueError:
        line = f.line(el.get("BussinessDocType"))
        raise PackageError(
            f"unknown BussinessDocType {raw} (line {line}); known: 0 new, 1 revoke, "
            "2 update, 3 replace",
            code="package.value",
            line=line,
        ) from None


def business(f: Fields, el: Node | None) -> Business | None:
    """``TraceHeaderList/Bussiness`` (spelled so in the standard)."""
    if el is None:
        return None
    info_el = el.node("BussinessDocumentInfo")
    info = None
    if info_el is not None:
        info = BusinessDocumentInfo(
            document_info=f.flag(info_el, "DocumentInfo"),
            document_receiver=f.flag(info_el, "DocumentReceiver"),
            receivers=[
                Receiver(
                    organ_id=f.text(r, "OrganId"), receiver_type=f.integer(r, "ReceiverType", 0)
                )
                for r in map(Node, info_el.grandchildren("ReceiverList", "Receiver"))
            ],
        )
    return Business(
        business_doc_type=_doc_type(f, el),
        business_doc_reason=f.text(el, "BussinessDocReason"),
        business_document_info=info,
        document_id=f.text(el, "DocumentId"),
        staff_info=staff_info(f, el.node("StaffInfo")),
        paper=f.flag(el, "Paper"),
        replacement_infos=[
            ReplacementInfo(
                document_id=f.text(r, "DocumentId"),
                organ_ids=f.texts(r, "OrganIdList", "OrganId"),
            )
            for r in map(Node, el.grandchildren("ReplacementInfoList", "ReplacementInfo"))
        ],
    )


def status_code(f: Fields, mh: Node) -> StatusCode:
    el = f.require(mh, "StatusCode")
    raw = clean(el.el.text)
    value = raw.zfill(2) if raw.isdigit() and len(raw) <= 2 else raw
    try:
        return StatusCode(value)
    except ValueError:
        line = f.line(el.el)
        known = ", ".join(code.value for code in StatusCode)
        raise PackageError(
            f"unknown StatusCode {raw!r} (line {line}); known codes: {known}",
            code="package.status_code",
            line=line,
            status_code=raw,
        ) from None


def status_package(f: Fields, mh: Node) -> StatusPackage:
    """The status package a status ``MessageHeader`` describes (signature and warnings aside)."""
    f.check_single(mh, _SINGLE_STATUS)
    extra = sorted({local_name(c) for c in mh.el} - set(_SINGLE_STATUS))
    if extra:
        f.warn("status.extra_elements", f"status header has {', '.join(extra)}; ignored", mh.el)
    return StatusPackage(
        from_=organization(f, f.require(mh, "From")),
        response_for=response_for(f, f.require(mh, "ResponseFor")),
        status_code=status_code(f, mh),
        description=f.text(mh, "Description"),
        timestamp=f.timestamp(mh, "Timestamp"),
        staff_info=staff_info(f, mh.node("StaffInfo")),
    )
