"""The UI's message catalogue: every message a template or a route asks for exists, in
both languages, with the same fields; the language is picked as documented."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from lienthong.web.i18n import MESSAGES, Translator, pick_language

WEB = Path(__file__).resolve().parents[2] / "src" / "lienthong" / "web"
#: Message ids built at run time from a prefix and a value (``"urgency." ~ u.value``).
DYNAMIC_PREFIXES = (
    "role.",
    "urgency.",
    "confidentiality.",
    "form.",
    "channel.",
    "incoming.state.",
    "outgoing.state.",
    "status.",
    "outbox.",
    "dispatch.",
    "sig.verdict.",
    "hub.state.",
    "hub.audit.kind.",
    "user.state.",
    "required.",
    "incoming.link.",
    "outgoing.action.",
    "outgoing.reason.",
    "error.title.",
    "flash.",
    "warning.",
    "error.required.",
)


def _literal_ids() -> set[str]:
    ids: set[str] = set()
    for template in (WEB / "templates").glob("*.html"):
        ids |= set(re.findall(r'_\(\s*["\']([a-z0-9_.]+)["\']', template.read_text("utf-8")))
    for module in WEB.glob("*.py"):
        ids |= set(re.findall(r'\bt\(\s*"([a-z0-9_.]+)"', module.read_text("utf-8")))
    return ids


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_literal_message_exists() -> None:
    missing = sorted(i for i in _literal_ids() if i not in MESSAGES and not i.endswith("."))
    assert missing == []


@pytest.mark.parametrize("prefix", DYNAMIC_PREFIXES)
def test_dynamic_families_exist(prefix: str) -> None:
    assert any(key.startswith(prefix) for key in MESSAGES)


def test_states_and_statuses_are_complete() -> None:
    from lienthong.edxml.model import StatusCode
    from lienthong.office.model import Confidentiality, Role, Urgency
    from lienthong.office.workflow import IncomingState, OutgoingState

    for state in IncomingState:
        assert f"incoming.state.{state.value}" in MESSAGES
    for ostate in OutgoingState:
        assert f"outgoing.state.{ostate.value}" in MESSAGES
    for code in StatusCode:
        assert f"status.{code.value}" in MESSAGES
    for role in Role:
        assert f"role.{role.value}" in MESSAGES
    for urgency in Urgency:
        assert f"urgency.{urgency.value}" in MESSAGES
    for secret in Confidentiality:
        assert f"confidentiality.{secret.value}" in MESSAGES


def test_both_languages_say_something_with_the_same_fields() -> None:
    for key, (vi, en) in MESSAGES.items():
        assert vi.strip(), key
        assert en.strip(), key
        assert _fields(vi) == _fields(en), key


def test_translator() -> None:
    vi, en = Translator("vi"), Translator("en")
    assert vi("urgency.hoa_toc") == "Hỏa tốc"
    assert en("urgency.hoa_toc") == "Immediate"
    assert vi("home.greeting", name="Vân") == "Xin chào, Vân"
    assert vi("no.such.message") == "no.such.message"
    assert vi.maybe("no.such.message", "x") == "x"


@pytest.mark.parametrize(
    ("query", "cookie", "expected"),
    [
        (None, None, "vi"),
        ("en", None, "en"),
        (None, "en", "en"),
        ("vi", "en", "vi"),
        ("fr", "en", "en"),
        ("xx", None, "vi"),
    ],
)
def test_pick_language(query: str | None, cookie: str | None, expected: str) -> None:
    assert pick_language(query, cookie) == expected
