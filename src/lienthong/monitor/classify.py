"""Whom a document is exchanged with: the counterpart kinds the measures split by.

The agency directory's parent relation decides, from the agency's point of view, for a
counterpart agency (a recipient of an outgoing document, the sender of an incoming one):

1. not in the directory (a business, a citizen, an agency outside the network) →
   ``external``;
2. one of the configured Government / Prime Minister agencies (default the Government
   Office, ``000.00.00.G22``) → ``government`` (checked first, so that a document to the
   Government Office counts there even when the Office is in the agency's own tree);
3. the agency itself (a document between its own units) → ``internal``;
4. in the same tree of the directory — same top-level ancestor: the agency's parent, its
   subordinate units (departments, districts), or their subordinate units among
   themselves → ``subordinate``;
5. any other agency (another ministry or province and their units) → ``between``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class Counterpart(enum.StrEnum):
    INTERNAL = "internal"
    SUBORDINATE = "subordinate"
    BETWEEN = "between"
    GOVERNMENT = "government"
    EXTERNAL = "external"

    @property
    def label_vi(self) -> str:
        return _LABELS[self]


_LABELS = {
    Counterpart.INTERNAL: "Trong nội bộ cơ quan",
    Counterpart.SUBORDINATE: "Với đơn vị trực thuộc, cấp trên trực tiếp",
    Counterpart.BETWEEN: "Giữa các cơ quan",
    Counterpart.GOVERNMENT: "Trình Chính phủ, Thủ tướng Chính phủ",
    Counterpart.EXTERNAL: "Tổ chức, cá nhân ngoài mạng",
}


@dataclass(frozen=True, slots=True)
class AgencyTree:
    """The directory's parent relation (agency id → parent id) and the ids that stand for
    the Government / Prime Minister."""

    parents: Mapping[int, int | None]
    government: frozenset[int] = field(default_factory=frozenset)

    def root(self, agency_id: int) -> int:
        """The top-level ancestor (the agency itself when it has no parent). A cycle in
        the directory (which the directory refuses) stops the walk where it closes."""
        seen = {agency_id}
        current = agency_id
        while (parent := self.parents.get(current)) is not None and parent not in seen:
            seen.add(parent)
            current = parent
        return current

    def classify(self, agency_id: int, counterpart_id: int | None) -> Counterpart:
        """The kind of exchange between ``agency_id`` and ``counterpart_id`` (see the
        module docstring)."""
        if counterpart_id is None:
            return Counterpart.EXTERNAL
        if counterpart_id in self.government and counterpart_id != agency_id:
            return Counterpart.GOVERNMENT
        if counterpart_id == agency_id:
            return Counterpart.INTERNAL
        if self.root(counterpart_id) == self.root(agency_id):
            return Counterpart.SUBORDINATE
        return Counterpart.BETWEEN
