"""The statistics report an office sends to the monitor agency, and its edXML package.

The figures travel as a JSON attachment (:data:`CONTENT_TYPE`, schema
:data:`SCHEMA_ID`) of an ordinary edXML document package — a *Báo cáo* whose subject is
``Báo cáo thống kê văn bản điện tử <period>`` — sent over the normal exchange, so it is
signed, routed, traced and audited like any other document. A PDF rendering for people
goes with it. Numerators and denominators travel, never shares, so that the national
table can add them up. ``docs/monitor.md`` gives the schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.compose import document_from_spec, refuse_invalid
from lienthong.edxml.spec import DocumentSpec
from lienthong.errors import ValidationError
from lienthong.monitor.measures import MeasureTable
from lienthong.monitor.periods import Period
from lienthong.monitor.reports import StatusRow
from lienthong.text import nfc

SCHEMA_ID = "lienthong.statistics/1"
CONTENT_TYPE = "application/vnd.lienthong.statistics+json"
SUBJECT_PREFIX = "Báo cáo thống kê văn bản điện tử"
FILE_PREFIX = "thong-ke-van-ban-dien-tu-"
#: Largest payload the hub's monitor reads.
MAX_PAYLOAD_BYTES = 1024 * 1024
_SCHEMA = re.compile(r"^lienthong\.statistics/(\d+)$")
_COUNT = Field(ge=0, le=10**9)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MeasureFigure(_Model):
    """One measure as counted: the share is ``numerator / denominator``."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    numerator: int = _COUNT
    denominator: int = _COUNT

    @model_validator(mode="after")
    def _within(self) -> MeasureFigure:
        if self.numerator > self.denominator:
            raise ValueError(f"{self.name}: numerator above denominator")
        return self


class ProcessingFigures(_Model):
    """The processing-status form's totals; the five states add up to ``received``."""

    received: int = _COUNT
    on_time: int = _COUNT
    late: int = _COUNT
    in_progress: int = _COUNT
    overdue: int = _COUNT
    no_deadline: int = _COUNT

    @model_validator(mode="after")
    def _adds_up(self) -> ProcessingFigures:
        parts = self.on_time + self.late + self.in_progress + self.overdue + self.no_deadline
        if parts != self.received:
            raise ValueError(f"the states add up to {parts}, not to received {self.received}")
        return self


class StatisticsReport(_Model):
    """What an agency reports for one period (schema :data:`SCHEMA_ID`)."""

    schema_id: Literal["lienthong.statistics/1"] = Field(
        default="lienthong.statistics/1", alias="schema"
    )
    agency_code: str = Field(min_length=1, max_length=64)
    agency_name: str = Field(max_length=500)
    period: str = Field(max_length=16)
    as_of: date
    generated_at: AwareDatetime
    documents: int = _COUNT
    outgoing: int = _COUNT
    incoming: int = _COUNT
    excluded_confidential: int = _COUNT
    excluded_withdrawn: int = _COUNT
    measures: list[MeasureFigure] = Field(max_length=64)
    processing: ProcessingFigures

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        try:
            parsed = Period.parse(value)
        except ValidationError as exc:
            raise ValueError(exc.message) from None
        if parsed.key != value:
            raise ValueError(f"write the period as {parsed.key}")
        return value

    @field_validator("agency_name")
    @classmethod
    def _name(cls, value: str) -> str:
        return nfc(value)

    @field_validator("measures")
    @classmethod
    def _unique(cls, value: list[MeasureFigure]) -> list[MeasureFigure]:
        names = [f.name for f in value]
        if len(set(names)) != len(names):
            raise ValueError("a measure is listed twice")
        return value

    @property
    def period_of(self) -> Period:
        return Period.parse(self.period)

    def figure(self, name: str) -> MeasureFigure | None:
        return next((f for f in self.measures if f.name == name), None)


def statistics_report(
    table: MeasureTable, status: StatusRow, *, generated_at: datetime
) -> StatisticsReport:
    """The report of one agency's measure table and processing-status totals."""
    return StatisticsReport(
        agency_code=table.scope.agency_code,
        agency_name=table.scope.agency_name,
        period=table.period.key,
        as_of=table.as_of,
        generated_at=generated_at,
        documents=table.documents,
        outgoing=table.outgoing,
        incoming=table.incoming,
        excluded_confidential=table.excluded_confidential,
        excluded_withdrawn=table.excluded_withdrawn,
        measures=[
            MeasureFigure(name=x.name, numerator=x.numerator, denominator=x.denominator)
            for x in table.measures
        ],
        processing=ProcessingFigures(
            received=status.received,
            on_time=status.on_time,
            late=status.late,
            in_progress=status.in_progress,
            overdue=status.overdue,
            no_deadline=status.no_deadline,
        ),
    )


def encode(report: StatisticsReport) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8): equal figures, equal bytes."""
    data = report.model_dump(mode="json", by_alias=True)
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def decode(data: bytes) -> StatisticsReport:
    """Read a payload; :class:`ValidationError` (``monitor.payload*``) says what is wrong."""
    if len(data) > MAX_PAYLOAD_BYTES:
        raise ValidationError(
            f"the statistics payload is larger than {MAX_PAYLOAD_BYTES} bytes",
            code="monitor.payload_size",
        )
    try:
        raw: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(
            f"the statistics payload is not UTF-8 JSON: {exc}", code="monitor.payload"
        ) from None
    if not isinstance(raw, dict):
        raise ValidationError("the statistics payload is not an object", code="monitor.payload")
    schema = _SCHEMA.match(str(raw.get("schema", "")))
    if schema is None or schema[0] != SCHEMA_ID:
        raise ValidationError(
            f"unsupported statistics schema {str(raw.get('schema'))[:40]!r} "
            f"(this monitor reads {SCHEMA_ID})",
            code="monitor.payload_version",
        )
    try:
        return StatisticsReport.model_validate(raw)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValidationError(
            f"the statistics payload is invalid: {where}: {first['msg']}",
            code="monitor.payload",
        ) from None


def subject_of(period: Period) -> str:
    return f"{SUBJECT_PREFIX} {period.label_vi}"


def file_name(period: Period, suffix: str = "json") -> str:
    return f"{FILE_PREFIX}{period.key}.{suffix}"


def report_package(
    report: StatisticsReport,
    payload: bytes,
    *,
    recipient: m.Organization,
    number: int,
    notation: str,
    signer_name: str,
    now: datetime,
    pdf: bytes | None = None,
) -> m.DocumentPackage:
    """The edXML document package carrying ``payload`` (and the PDF for people) from the
    report's agency to ``recipient``. ``now`` is naive Vietnam time."""
    period = report.period_of
    spec = DocumentSpec.model_validate(
        {
            "from": {"organ_id": report.agency_code, "organ_name": report.agency_name},
            "to": [{"organ_id": recipient.organ_id, "organ_name": recipient.organ_name}],
            "code": {"code_number": number, "code_notation": notation},
            "document_type": "Báo cáo",
            "subject": subject_of(period),
            "content": f"Số liệu theo lược đồ {SCHEMA_ID}, tính đến ngày {report.as_of:%d/%m/%Y}.",
            "signer_info": {"full_name": signer_name},
        }
    )
    attachments: list[m.Attachment] = []
    if pdf is not None:
        attachments.append(
            attachment_from_bytes(
                file_name(period, "pdf"), pdf, content_type="application/pdf", content_id="cid:1"
            )
        )
    attachments.append(
        attachment_from_bytes(
            file_name(period),
            payload,
            content_type=CONTENT_TYPE,
            content_id=f"cid:{len(attachments) + 1}",
            description=f"Số liệu thống kê ({SCHEMA_ID})",
        )
    )
    package = document_from_spec(spec, now=now, attachments=attachments)
    refuse_invalid(package, today=now.date())
    return package


def _bare_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def find_statistics(attachments: Sequence[m.Attachment]) -> m.Attachment | None:
    """The statistics attachment: by its content type, else by its file name."""
    for attachment in attachments:
        if _bare_type(attachment.content_type) == CONTENT_TYPE:
            return attachment
    for attachment in attachments:
        name = attachment.attachment_name.strip().lower()
        if name.startswith(FILE_PREFIX) and name.endswith(".json"):
            return attachment
    return None


def is_report_subject(subject: str) -> bool:
    return nfc(subject).strip().startswith(SUBJECT_PREFIX)
