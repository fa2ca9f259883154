"""Request and response bodies of the office API (pydantic), and their mapping to the
services' plain data. Responses that are the services' own dataclasses are served as
they are (FastAPI documents dataclasses in the OpenAPI schema too)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from lienthong.office.documents import (
    Channel,
    Notice,
    OutgoingDocument,
    OutgoingDraft,
    RecipientInput,
)
from lienthong.office.incoming import Assignment
from lienthong.office.model import (
    Actor,
    Confidentiality,
    DocumentForm,
    Member,
    RequiredForm,
    Role,
    Urgency,
)


class LoginRequest(BaseModel):
    username: str
    password: str
    #: Any identifier of the agency (needed when the user works in several).
    agency: str | None = None
    #: A name for the API token (shown in lists of tokens).
    name: str | None = None


class ActorOut(BaseModel):
    user_id: int | None
    agency_id: int | None
    username: str
    full_name: str
    roles: list[Role]
    unit_id: int | None = None
    title: str | None = None

    @classmethod
    def of(cls, actor: Actor) -> ActorOut:
        return cls(
            user_id=actor.user_id,
            agency_id=actor.agency_id,
            username=actor.username,
            full_name=actor.full_name,
            roles=sorted(actor.roles),
            unit_id=actor.unit_id,
            title=actor.title,
        )


class LoginResponse(BaseModel):
    token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme's name, not a secret
    expires_at: datetime
    actor: ActorOut


class PasswordChange(BaseModel):
    new_password: str
    #: Required when changing one's own password.
    old_password: str | None = None


class UnitIn(BaseModel):
    name: str
    abbreviation: str


class UserIn(BaseModel):
    username: str
    full_name: str
    password: str
    roles: list[str]
    unit: str | None = None
    title: str | None = None
    email: str | None = None
    signing_key: str | None = None


class RolesIn(BaseModel):
    roles: list[str]
    unit: str | None = None


class MemberOut(BaseModel):
    id: int
    username: str
    full_name: str
    title: str | None
    email: str | None
    state: str
    roles: list[Role]
    unit: str | None

    @classmethod
    def of(cls, member: Member) -> MemberOut:
        return cls(
            id=member.user.id,
            username=member.user.username,
            full_name=member.user.full_name,
            title=member.user.title,
            email=member.user.email,
            state=member.user.state.value,
            roles=sorted(member.membership.roles),
            unit=member.unit.abbreviation if member.unit else None,
        )


class CatalogueIn(BaseModel):
    name: str
    required_form: RequiredForm
    scope: str = "internal"
    doctype_key: str | None = None


class CataloguePatch(BaseModel):
    name: str | None = None
    required_form: RequiredForm | None = None
    scope: str | None = None
    doctype_key: str | None = None
    active: bool | None = None


class RecipientIn(BaseModel):
    #: Any identifier of a directory agency; or ``name`` (+ ``email``/``address``).
    agency: str | None = None
    name: str | None = None
    email: str | None = None
    address: str | None = None
    channel: Channel | None = None


class DraftIn(BaseModel):
    doctype: str = Field(description="Type key or name: cong_van, quyet_dinh, Giấy mời…")
    subject: str
    urgency: Urgency = Urgency.NORMAL
    confidentiality: Confidentiality = Confidentiality.NONE
    signer: str | None = Field(default=None, description="Username of the competent person")
    recipients: list[RecipientIn] = Field(default_factory=list)
    catalogue_id: int | None = None
    form: DocumentForm | None = None
    scanned: bool = False
    unit: str | None = None
    file_keeper: str | None = None
    copies: int = 1
    notes: str | None = None

    def to_draft(self) -> OutgoingDraft:
        return OutgoingDraft(
            doctype=self.doctype,
            subject=self.subject,
            urgency=self.urgency,
            confidentiality=self.confidentiality,
            signer=self.signer,
            recipients=tuple(RecipientInput(**r.model_dump()) for r in self.recipients),
            catalogue_id=self.catalogue_id,
            form=self.form,
            scanned=self.scanned,
            unit=self.unit,
            file_keeper=self.file_keeper,
            copies=self.copies,
            notes=self.notes,
        )


class DraftResult(BaseModel):
    document: OutgoingDocument
    warnings: list[Notice]


class Text(BaseModel):
    text: str


class Reason(BaseModel):
    reason: str


class Note(BaseModel):
    note: str | None = None


class Grant(BaseModel):
    username: str


class AssignIn(BaseModel):
    lead: str
    co_handlers: list[str] = Field(default_factory=list)
    deadline: date | None = None
    direction: str | None = None

    def to_assignment(self) -> Assignment:
        return Assignment(self.lead, tuple(self.co_handlers), self.deadline, self.direction)


class PaperIn(BaseModel):
    sender_name: str
    subject: str
    code: str | None = None
    document_date: date | None = None
    doctype: str | None = None
    urgency: Urgency = Urgency.NORMAL
    confidentiality: Confidentiality = Confidentiality.NONE
    signer_name: str | None = None
    received_at: datetime | None = None
    sender_agency: str | None = None
    notes: str | None = None


class RegisterOut(BaseModel):
    agency: str
    title: str
    year: int
    secret: bool
    columns: list[str]
    rows: list[list[str]]
