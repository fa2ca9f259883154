"""The status outbox drained to the hub: 01–06, 15 and 16 reported to senders.

Each step of the incoming workflow the sender should hear of queues an outbox record in
the step's own transaction (:mod:`lienthong.office.incoming`). :class:`StatusSender` turns
every pending record into a status package (:func:`.hubsync_packages.outbox_status`),
signs it with the reporting agency's organisation key, sends it with
:meth:`HubClient.send` and marks the record ``sent`` (with the hub's package id).

- The hub deduplicates statuses by (DocumentId, reporter, code, timestamp) and the
  timestamp is the step's time, so a record sent twice (an answer lost on the way) is
  one status at the hub.
- A hub that cannot be reached (or refuses our credentials) stops the round with the
  :class:`HubError`; the records stay pending and nothing counts as an attempt.
- A status the hub refuses for good (4xx), or that cannot even be built, is marked
  ``failed`` with the reason (``status_failed(final=True)``); other errors count an
  attempt and are retried next round until ``max_attempts``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from lienthong.clock import Clock, SystemClock
from lienthong.errors import HubError, LienthongError
from lienthong.hub.client import HubClient
from lienthong.office.documents import OutboxRecord
from lienthong.office.hubsync import transient
from lienthong.office.hubsync_packages import outbox_status, sign_and_write
from lienthong.office.model import Actor
from lienthong.office.services import OfficeServices
from lienthong.office.signing import SigningKeys

log = logging.getLogger(__name__)


@dataclass
class StatusReport:
    """What a round of the status outbox did."""

    #: (outbox record id, status code, hub package id) per status sent.
    sent: list[tuple[int, str, str]] = field(default_factory=list)
    #: (outbox record id, status code, reason) per status that failed.
    failed: list[tuple[int, str, str]] = field(default_factory=list)


class StatusSender:
    """Drains the office's status outbox into signed status packages sent to the hub."""

    def __init__(
        self,
        office: OfficeServices,
        hub: HubClient,
        keys: SigningKeys,
        *,
        clock: Clock | None = None,
        max_attempts: int = 10,
    ) -> None:
        self._office = office
        self._hub = hub
        self._keys = keys
        self._clock = clock or SystemClock()
        self._max_attempts = max_attempts

    def run_once(self, agency_ids: Sequence[int] | None = None) -> StatusReport:
        """Send every pending status of the hosted agencies (or of ``agency_ids``).
        Raises a transient :class:`HubError` (the rest stays pending) when the hub is down."""
        report = StatusReport()
        agencies = {a.agency_id: a for a in self._office.users.agencies()}
        for agency_id in agency_ids or list(agencies):
            name = agencies[agency_id].name if agency_id in agencies else ""
            actor = Actor.system(agency_id)
            for record in self._office.intake.pending_statuses(actor):
                self._send(actor, record, name, report)
        return report

    def _send(self, actor: Actor, record: OutboxRecord, name: str, report: StatusReport) -> None:
        intake = self._office.intake
        # No key to sign with is a configuration problem: it propagates, every status waits.
        identity = self._keys.agency(record.agency_code).identity
        try:
            data = sign_and_write(outbox_status(record, name), identity, now=self._clock.now())
            sent = self._hub.send(data)
        except LienthongError as exc:
            if transient(exc):
                raise
            final = isinstance(exc, HubError) or record.attempts + 1 >= self._max_attempts
            log.warning("status %s (outbox %s) not sent: %s", record.status_code, record.id, exc)
            intake.status_failed(actor, record.id, exc.message, final=final)
            report.failed.append((record.id, record.status_code, exc.message))
            return
        intake.status_sent(actor, record.id, sent.package_id)
        report.sent.append((record.id, record.status_code, sent.package_id))
