"""The operators' API (``/api/v1/admin``): agencies, certificates, systems, audit, queues.

Every endpoint takes ``Authorization: Bearer <admin token>``; a system's signed request
is refused with ``403 forbidden.admin``. Translation only, as in :mod:`.api`.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Body
from starlette.concurrency import run_in_threadpool

from lienthong.directory.model import UNSET, AgencyDraft, AgencyPatch, Contact
from lienthong.hub import schemas as s
from lienthong.hub import views
from lienthong.hub.http_auth import AdminDep, HubDep
from lienthong.hub.services import HubService

router = APIRouter(prefix="/api/v1/admin")


async def _agency(hub: HubService, agency: Any) -> s.DirectoryAgency:
    parents = await run_in_threadpool(hub.parent_codes, [agency])
    return views.agency(agency, parents)


@router.post("/agencies", status_code=201, response_model=s.DirectoryAgency)
async def create_agency(hub: HubDep, admin: AdminDep, body: s.AgencyCreate) -> s.DirectoryAgency:
    """Add an agency to the directory."""
    draft = AgencyDraft(
        name=body.name,
        qcvn_id=body.qcvn_id,
        qd20_id=body.qd20_id,
        short_name=body.short_name,
        parent=body.parent,
        contact=Contact(**body.contact.model_dump()),
        aliases=tuple(body.aliases),
    )
    agency = await run_in_threadpool(partial(hub.directory.register, draft, actor=admin.actor))
    return await _agency(hub, agency)


@router.patch("/agencies/{agency_id}", response_model=s.DirectoryAgency)
async def update_agency(
    hub: HubDep, admin: AdminDep, agency_id: str, body: s.AgencyUpdate
) -> s.DirectoryAgency:
    """Change the fields present in the body (``null`` clears one)."""
    given = body.model_fields_set
    values: dict[str, Any] = {f: getattr(body, f) for f in given}
    if "name" in values and values["name"] is None:
        values["name"] = UNSET
    agency = await run_in_threadpool(
        partial(hub.directory.update, agency_id, AgencyPatch(**values), actor=admin.actor)
    )
    return await _agency(hub, agency)


@router.post("/agencies/{agency_id}/lock", response_model=s.DirectoryAgency)
async def lock_agency(hub: HubDep, admin: AdminDep, agency_id: str) -> s.DirectoryAgency:
    """Lock an agency: packages to or from it are refused."""
    locked = partial(hub.directory.lock, agency_id, actor=admin.actor)
    return await _agency(hub, await run_in_threadpool(locked))


@router.post("/agencies/{agency_id}/unlock", response_model=s.DirectoryAgency)
async def unlock_agency(hub: HubDep, admin: AdminDep, agency_id: str) -> s.DirectoryAgency:
    """Make a locked agency active again."""
    unlocked = partial(hub.directory.unlock, agency_id, actor=admin.actor)
    return await _agency(hub, await run_in_threadpool(unlocked))


@router.post(
    "/agencies/{agency_id}/certificates", status_code=201, response_model=s.AgencyCertificate
)
async def add_certificate(
    hub: HubDep, admin: AdminDep, agency_id: str, body: s.CertificateUpload
) -> s.AgencyCertificate:
    """Allow an organisation certificate (PEM) to sign packages for the agency."""
    found = await run_in_threadpool(
        partial(hub.systems.add_certificate, agency_id, body.pem, actor=admin.actor)
    )
    return views.certificate(found)


@router.get("/agencies/{agency_id}/certificates", response_model=list[s.AgencyCertificate])
async def list_certificates(
    hub: HubDep, _admin: AdminDep, agency_id: str
) -> list[s.AgencyCertificate]:
    """The certificates allowed to sign for the agency."""
    found = await run_in_threadpool(hub.systems.certificates, agency_id)
    return [views.certificate(c) for c in found]


@router.post("/systems", status_code=201, response_model=s.SystemSecret)
async def create_system(hub: HubDep, admin: AdminDep, body: s.SystemCreate) -> s.SystemSecret:
    """Register a system; the answer holds its secret, shown this once."""
    issued = await run_in_threadpool(
        partial(hub.systems.register, body.system_id, body.name, body.agencies, actor=admin.actor)
    )
    return s.SystemSecret(system_id=issued.system_id, secret=issued.secret)


@router.get("/systems", response_model=list[s.SystemInfo])
async def list_systems(hub: HubDep, _admin: AdminDep) -> list[s.SystemInfo]:
    """Every system."""
    return [views.system(x) for x in await run_in_threadpool(hub.systems.all)]


@router.get("/systems/{system_id}", response_model=s.SystemInfo)
async def get_system(hub: HubDep, _admin: AdminDep, system_id: str) -> s.SystemInfo:
    """One system (never its secret)."""
    return views.system(await run_in_threadpool(hub.systems.get, system_id))


@router.post("/systems/{system_id}/rotate", response_model=s.SystemSecret)
async def rotate_secret(
    hub: HubDep,
    admin: AdminDep,
    system_id: str,
    body: Annotated[s.RotateSecret | None, Body()] = None,
) -> s.SystemSecret:
    """Issue a new secret; the previous one stays valid for the grace period."""
    grace = body.grace_seconds if body is not None else None
    rotated = await run_in_threadpool(
        partial(hub.systems.rotate, system_id, grace_s=grace, actor=admin.actor)
    )
    return s.SystemSecret(
        system_id=rotated.system_id,
        secret=rotated.secret,
        previous_valid_until=rotated.previous_valid_until,
    )


@router.put("/systems/{system_id}/agencies", response_model=s.SystemInfo)
async def set_agencies(
    hub: HubDep, admin: AdminDep, system_id: str, body: s.SystemAgencies
) -> s.SystemInfo:
    """Replace the agencies the system hosts."""
    found = await run_in_threadpool(
        partial(hub.systems.set_agencies, system_id, body.agencies, actor=admin.actor)
    )
    return views.system(found)


@router.put("/systems/{system_id}/webhook", response_model=s.SystemInfo)
async def set_webhook(
    hub: HubDep, admin: AdminDep, system_id: str, body: s.WebhookSet
) -> s.SystemInfo:
    """Set or (``null``) remove the system's webhook."""
    found = await run_in_threadpool(
        partial(hub.systems.set_webhook, system_id, body.url, actor=admin.actor)
    )
    return views.system(found)


@router.post("/systems/{system_id}/lock", response_model=s.SystemInfo)
async def lock_system(hub: HubDep, admin: AdminDep, system_id: str) -> s.SystemInfo:
    """Lock a system: its requests are refused."""
    found = await run_in_threadpool(partial(hub.systems.lock, system_id, actor=admin.actor))
    return views.system(found)


@router.post("/systems/{system_id}/unlock", response_model=s.SystemInfo)
async def unlock_system(hub: HubDep, admin: AdminDep, system_id: str) -> s.SystemInfo:
    """Unlock a system."""
    found = await run_in_threadpool(partial(hub.systems.unlock, system_id, actor=admin.actor))
    return views.system(found)


@router.get("/audit/verify", response_model=s.AuditReport)
async def verify_audit(hub: HubDep, _admin: AdminDep) -> s.AuditReport:
    """Check the hash-chained audit log and its signed checkpoints."""
    return views.audit_report(await run_in_threadpool(hub.audit.verify))


@router.post("/audit/checkpoint", response_model=dict[str, Any])
async def checkpoint(hub: HubDep, _admin: AdminDep) -> dict[str, Any]:
    """Sign the audit chain's current head now."""
    info = await run_in_threadpool(hub.audit.checkpoint)
    return {"seq": info.seq, "hash": info.hash, "at": info.at.isoformat(), "created": info.created}


@router.get("/queues", response_model=s.QueuesReport)
async def queues(hub: HubDep, _admin: AdminDep) -> s.QueuesReport:
    """Deliveries waiting, per recipient agency."""
    return views.queues(await run_in_threadpool(hub.queues))
