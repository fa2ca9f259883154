"""The office's ASGI application: ``create_office_app(container)``.

The REST API (:mod:`.api`) under ``/office/api/v1`` with its OpenAPI description at
``/office/api/v1/openapi.json`` and the interactive docs at ``/office/api/v1/docs``;
``/office/healthz`` answers without a credential. The web UI will mount beside it.
"""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI
from starlette.types import Scope

from lienthong import __version__
from lienthong.bootstrap import Container
from lienthong.errors import LienthongError
from lienthong.office.api import PREFIX, install_problems, mount_office
from lienthong.office.model import TokenKind
from lienthong.office.services import OfficeServices
from lienthong.uploads import CredentialedBodies


def create_office_app(container: Container) -> FastAPI:
    """The office app of a container (with the monitor's agency reports, docs/monitor.md)."""
    from lienthong.monitor.api import mount_office_monitor
    from lienthong.monitor.wiring import report_channel

    app = office_app(container.office)
    mount_office_monitor(
        app,
        container.monitor.agency,
        channel=lambda: report_channel(container.settings, container.clock),
    )
    return app


def office_app(services: OfficeServices) -> FastAPI:
    """The office app over its services (what :func:`create_office_app` builds)."""
    app = FastAPI(
        title="lienthong office",
        version=__version__,
        description="Registers, numbering, outgoing and incoming workflows of an agency.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    install_problems(app)
    mount_office(app, services)
    app.add_middleware(CredentialedBodies, authenticated=partial(_has_token, services))

    @app.get("/office/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _has_token(services: OfficeServices, scope: Scope) -> bool:
    """Whether the request carries a valid Bearer token (for :mod:`lienthong.uploads`)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return False
            try:
                services.users.authenticate(token, kind=TokenKind.API)
            except LienthongError:
                return False
            return True
    return False
