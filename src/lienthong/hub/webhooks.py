"""Push: the hub POSTs new deliveries to the webhooks systems registered.

The body is ``{"delivery_id", "package_id", "kind", "recipient", "sender",
"document_id"}``, signed with the receiving system's secret (:func:`hub.auth.sign_webhook`).
A 2xx answer marks the push done; anything else (or no answer) is retried with
exponential backoff (:func:`.model.push_backoff`), up to ``max_attempts``; the state
(attempts, next attempt time, last error) is in the delivery's row, so any hub node may
retry. A push is never needed: the delivery stays in the inbox for pull either way, and a
delivery acknowledged meanwhile is not pushed any more.

:class:`PushWorker` claims due pushes (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and a
short "in flight" reservation of ``push_next_at``), so two nodes never push the same one
at once.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, select, update

from lienthong.clock import Clock
from lienthong.db.tables import hub_deliveries, hub_packages
from lienthong.db.uow import UnitOfWork
from lienthong.hub import auth
from lienthong.hub.model import PackageKind, PushState, push_backoff
from lienthong.hub.notify import Notifier
from lienthong.hub.records import PushTask
from lienthong.hub.repository_deliveries import CLAIMABLE, written_out
from lienthong.hub.systems import SystemService

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("lienthong.hub.push")

d = hub_deliveries
#: How long a claimed push is reserved before another worker may try it.
IN_FLIGHT = timedelta(minutes=2)


def due_pushes(uow: UnitOfWork, now: datetime, limit: int) -> list[PushTask]:
    """Reserve up to ``limit`` due pushes (in this unit of work) and describe them."""
    pick = (
        select(d.c.id)
        .where(
            d.c.push_state == written_out(PushState.PENDING.value),
            d.c.push_next_at <= now,
            CLAIMABLE,
        )
        .order_by(d.c.push_next_at, d.c.id)
        .limit(limit)
    )
    if uow.hub.dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = list(
        uow.session.execute(
            update(d)
            .where(d.c.id.in_(pick.scalar_subquery()))
            .values(push_next_at=now + IN_FLIGHT)
            .returning(d.c.id)
        ).scalars()
    )
    if not ids:
        return []
    rows = uow.session.execute(
        select(
            d.c.id,
            d.c.package_id,
            d.c.kind,
            d.c.recipient_id,
            d.c.recipient_code,
            d.c.push_attempts,
            hub_packages.c.sender_code,
            hub_packages.c.document_id,
        )
        .join(hub_packages, hub_packages.c.id == d.c.package_id)
        .where(d.c.id.in_(ids))
        .order_by(d.c.id)
    ).all()
    targets = uow.hub_systems.webhook_targets([int(r.recipient_id) for r in rows])
    tasks: list[PushTask] = []
    for row in rows:
        target = targets.get(int(row.recipient_id))
        if target is None:  # the webhook was removed meanwhile: nothing to push
            uow.session.execute(
                update(d).where(d.c.id == row.id).values(push_state=PushState.NONE.value)
            )
            continue
        tasks.append(
            PushTask(
                delivery_id=row.id,
                package_id=row.package_id,
                kind=PackageKind(row.kind),
                recipient=row.recipient_code,
                sender=row.sender_code,
                document_id=row.document_id,
                system_id=target[0],
                url=target[1],
                attempts=int(row.push_attempts),
            )
        )
    return tasks


def notice_body(task: PushTask) -> bytes:
    """The JSON the hub POSTs for a delivery."""
    body = {
        "delivery_id": task.delivery_id,
        "package_id": task.package_id,
        "kind": "document" if task.kind is PackageKind.DOCUMENT else "status",
        "recipient": task.recipient,
        "sender": task.sender,
        "document_id": task.document_id,
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


class PushWorker:
    """Delivers due pushes; :meth:`run_once` for one round, :meth:`start` for a thread."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        systems: SystemService,
        clock: Clock,
        notifier: Notifier | None = None,
        max_attempts: int = 10,
        backoff_s: float = 5.0,
        timeout_s: float = 10.0,
        interval_s: float = 2.0,
        transport: httpx.BaseTransport | None = None,
        on_outcome: Callable[[str], None] | None = None,
    ) -> None:
        self._uow = uow_factory
        self._systems = systems
        self._clock = clock
        self._notifier = notifier
        self.max_attempts = max_attempts
        self._backoff = backoff_s
        self._interval = interval_s
        self._timeout = timeout_s
        self._transport = transport
        self._client: httpx.Client | None = None  # made at the first push
        self._on_outcome = on_outcome
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, limit: int = 50) -> int:
        """Push what is due now; how many pushes were attempted."""
        now = self._clock.now()
        with self._uow() as uow:
            uow.hub.take_write_lock()
            tasks = due_pushes(uow, now, limit)
            uow.commit()
        for task in tasks:
            error = self._push(task)
            self._record(task, error)
        return len(tasks)

    def _http(self) -> httpx.Client:
        # httpx (with the CLI libraries it pulls in) is imported only by a hub that pushes.
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                timeout=self._timeout, transport=self._transport, follow_redirects=False
            )
        return self._client

    def _push(self, task: PushTask) -> str | None:
        import httpx

        body = notice_body(task)
        try:
            secret = self._systems.system_secret(task.system_id)
            headers = auth.sign_webhook(task.system_id, secret, task.url, body, clock=self._clock)
            headers["Content-Type"] = "application/json"
            response = self._http().post(task.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        except Exception as exc:  # a bad secret or URL: recorded, retried, never fatal
            return f"{type(exc).__name__}"[:500]
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    def _record(self, task: PushTask, error: str | None) -> None:
        now = self._clock.now()
        attempts = task.attempts + 1
        values: dict[str, Any] = {"push_attempts": attempts, "push_error": error}
        if error is None:
            values.update(push_state=PushState.DONE.value, push_next_at=None)
            outcome = "done"
        elif attempts >= self.max_attempts:
            values.update(push_state=PushState.FAILED.value, push_next_at=None)
            outcome = "gave_up"
        else:
            values["push_next_at"] = now + push_backoff(attempts, base_s=self._backoff)
            outcome = "retry"
        with self._uow() as uow:
            uow.hub.take_write_lock()
            uow.session.execute(
                update(d)
                .where(and_(d.c.id == task.delivery_id, d.c.push_state == PushState.PENDING.value))
                .values(values)
            )
            uow.commit()
        if self._on_outcome is not None:
            self._on_outcome(outcome)
        if error is not None:
            log.info(
                "webhook push failed",
                extra={
                    "fields": {"delivery_id": task.delivery_id, "attempt": attempts, "error": error}
                },
            )

    # -- the thread -----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="lienthong-hub-push", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._client is not None:
            self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception as exc:  # keep pushing after a database hiccup
                log.warning("push round failed: %s", type(exc).__name__)
                busy = 0
            if busy:
                continue
            if self._notifier is not None:
                with self._notifier.waiting_thread(pushes_only=True) as waiter:
                    waiter.wait_blocking(self._interval)
            else:
                self._stop.wait(self._interval)
