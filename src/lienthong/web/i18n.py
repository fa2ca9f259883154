"""The web interface's words: Vietnamese by default, English on request.

The catalogue is a plain dict, message id → (Vietnamese, English); ids are short English
phrases so templates stay readable (``{{ _("incoming.title") }}``). A message may hold
``{name}`` fields filled by keyword arguments. The language comes from the ``lang`` query
parameter (which the ``/lang`` route stores in the ``lt_lang`` cookie), else that cookie,
else Vietnamese. A missing id falls back to the id itself, so a gap shows instead of failing
(``tests/unit/test_web_i18n.py`` checks that every id used by the templates exists).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from lienthong.web.messages import MESSAGES as _MESSAGES

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANG_COOKIE = "lt_lang"

#: Every message: id → (Vietnamese, English).
MESSAGES: Mapping[str, tuple[str, str]] = MappingProxyType(_MESSAGES)


def pick_language(query: str | None, cookie: str | None) -> str:
    """The language of a request: the query's, else the cookie's, else Vietnamese."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return str(candidate)
    return DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class Translator:
    """Looks messages up in one language."""

    lang: str = DEFAULT_LANGUAGE

    def __call__(self, key: str, **values: object) -> str:
        entry = MESSAGES.get(key)
        text = key if entry is None else entry[1] if self.lang == "en" else entry[0]
        if values:
            try:
                return text.format(**values)
            except (KeyError, IndexError, ValueError):
                return text
        return text

    def has(self, key: str) -> bool:
        """Whether ``key`` is in the catalogue."""
        return key in MESSAGES

    def maybe(self, key: str, default: str) -> str:
        """The message of ``key`` if there is one, else ``default``."""
        return self(key) if key in MESSAGES else default
