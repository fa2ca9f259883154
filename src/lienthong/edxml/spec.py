"""The JSON spec of a document package (``lienthong edxml build SPEC.json``).

It mirrors :mod:`lienthong.edxml.model` with snake_case keys; ``from`` is the sender.
Unknown keys are refused (a typo must not silently drop a field). Dates are ISO
(``2024-05-17``) or the wire form (``2024/05/17``); ``code`` is an object or the text
``7816/VPCP-TTĐT``; ``document_type`` an object or just the type name; the business type
is 0-3 or ``new``/``revoke``/``update``/``replace``. The format is described in
``docs/edoc-spec.md``; ``docs/examples/edoc-spec.json`` builds a valid package.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from lienthong.edxml import model as m
from lienthong.edxml.document_id import parse_wire_date
from lienthong.errors import ValidationError
from lienthong.text import nfc

__all__ = ["DocumentSpec", "SpecError", "load_spec"]


class SpecError(ValidationError):
    """A spec or a status request that cannot become a valid package."""

    code = "spec.invalid"


def _wire_or_iso_date(value: Any) -> Any:
    if isinstance(value, str) and "/" in value:
        try:
            return parse_wire_date(value)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
    return value


def _text(value: Any) -> Any:
    return nfc(value.strip()) if isinstance(value, str) else value


SpecDate = Annotated[date, BeforeValidator(_wire_or_iso_date)]
Text = Annotated[str, BeforeValidator(_text)]
_BUSINESS_NAMES = {t.name.lower(): t for t in m.BusinessDocType}


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OrganizationSpec(_Spec):
    organ_id: Text = Field(min_length=1)
    organ_name: Text = ""
    organization_in_charge: Text = ""
    organ_add: Text = ""
    email: Text = ""
    telephone: Text = ""
    fax: Text = ""
    website: Text = ""


class CodeSpec(_Spec):
    code_number: int | Text
    code_notation: Text = Field(min_length=1)


class PromulgationSpec(_Spec):
    place: Text = ""
    promulgation_date: SpecDate | None = None


class DocumentTypeSpec(_Spec):
    type_name: Text = Field(min_length=1)
    type: int | None = None
    type_detail: int | None = None


class SignerSpec(_Spec):
    competence: Text = ""
    position: Text = ""
    full_name: Text = Field(min_length=1)


class OtherInfoSpec(_Spec):
    priority: int = Field(default=0, ge=0, le=4)
    sphere_of_promulgation: Text = ""
    typer_notation: Text = ""
    promulgation_amount: int | None = Field(default=None, ge=0)
    page_amount: int | None = Field(default=None, ge=0)
    appendixes: list[Text] = []


class ResponseForSpec(_Spec):
    organ_id: Text = Field(min_length=1)
    code: Text = ""
    promulgation_date: SpecDate | None = None
    document_id: Text = ""


class StaffSpec(_Spec):
    department: Text = ""
    staff: Text = ""
    mobile: Text = ""
    email: Text = ""


class ReceiverSpec(_Spec):
    organ_id: Text = Field(min_length=1)
    receiver_type: int = 0


class BusinessDocumentInfoSpec(_Spec):
    document_info: bool = False
    document_receiver: bool = False
    receivers: list[ReceiverSpec] = []


class ReplacementSpec(_Spec):
    document_id: Text = Field(min_length=1)
    organ_ids: list[Text] = []


def _business_type(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in _BUSINESS_NAMES:
        return _BUSINESS_NAMES[value.strip().lower()]
    return value


class BusinessSpec(_Spec):
    business_doc_type: Annotated[m.BusinessDocType, BeforeValidator(_business_type)] = (
        m.BusinessDocType.NEW
    )
    business_doc_reason: Text = ""
    document_id: Text = ""
    paper: bool = False
    staff_info: StaffSpec | None = None
    business_document_info: BusinessDocumentInfoSpec | None = None
    replacement_infos: list[ReplacementSpec] = []


class DocumentSpec(_Spec):
    """The JSON spec of a document package (``lienthong edxml build``)."""

    from_: OrganizationSpec = Field(alias="from")
    to: list[OrganizationSpec] = Field(min_length=1)
    code: CodeSpec | Text
    promulgation_info: PromulgationSpec = PromulgationSpec()
    document_type: DocumentTypeSpec | Text
    subject: Text = Field(min_length=1)
    content: Text = ""
    signer_info: SignerSpec
    due_date: SpecDate | None = None
    to_places: list[Text] = []
    other_info: OtherInfoSpec = OtherInfoSpec()
    response_for: list[ResponseForSpec] = []
    steering_type: Literal[0, 1, 2] = 0
    document_id: Text = ""
    business: BusinessSpec = BusinessSpec()


def _describe(exc: PydanticValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"  {where}: {error['msg']}")
    return "\n".join(lines)


def load_spec(data: bytes | str, *, source: str = "spec") -> DocumentSpec:
    """Parse and check a JSON spec; :class:`SpecError` lists every field that is wrong."""
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as exc:
        raise SpecError(
            f"{source} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            code="spec.json",
        ) from None
    except UnicodeDecodeError:
        raise SpecError(f"{source} is not UTF-8 text", code="spec.json") from None
    if not isinstance(raw, dict):
        raise SpecError(f"{source} must hold a JSON object", code="spec.invalid")
    try:
        return DocumentSpec.model_validate(raw)
    except PydanticValidationError as exc:
        count = exc.error_count()
        raise SpecError(
            f"{source} has {count} problem{'s' if count > 1 else ''}:\n{_describe(exc)}"
        ) from None
