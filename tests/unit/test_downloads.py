"""File names in download headers: control characters never reach a header."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from lienthong.downloads import content_disposition, file_response, safe_file_name


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("Công văn 12.pdf", "Công văn 12.pdf"),
        ("a\r\nSet-Cookie: x=1.pdf", "aSet-Cookie: x=1.pdf"),
        ("\x00\t\x7f", "tep"),
        ("tờ\u200btrình.pdf", "tờtrình.pdf"),
    ],
)
def test_control_characters_are_dropped(name: str, kept: str) -> None:
    assert safe_file_name(name) == kept


def test_the_header_carries_an_ascii_fallback_and_the_utf8_name() -> None:
    value = content_disposition('Quyết định "số 1"\r\n.pdf', inline=True)

    assert value.startswith('inline; filename="Quy')
    assert "\r" not in value
    assert "\n" not in value
    assert value.count('"') == 2
    utf8 = value.split("filename*=UTF-8''", 1)[1]
    assert unquote(utf8) == 'Quyết định "số 1".pdf'


def test_a_response_can_be_built_for_any_name() -> None:
    response = file_response(b"%PDF", "application/pdf", "x\r\ny.pdf")

    assert response.headers["content-disposition"].startswith('attachment; filename="xy.pdf"')
