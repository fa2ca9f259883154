"""A lazy read keeps memory bounded: a 100 MiB attachment (streaming path, text spooled to
disk) and a 16 MiB one (fast path: the package's bytes are kept, the tree is the envelope).

Each scenario runs in a fresh Python process and reports the growth of its peak resident
size (``VmHWM``, which — unlike ``ru_maxrss`` — is not inherited across ``exec``) over its
state after imports and a small warm-up, after the lazy read and after reading the whole
attachment back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

MiB = 1024 * 1024

SCRIPT = textwrap.dedent(
    """
    import hashlib, json, os, sys
    from pathlib import Path

    from lienthong.edxml.attachments import attachment_from_bytes, attachment_from_path
    from lienthong.edxml.model import DocumentPackage, MessageHeader, Organization
    from lienthong.edxml.reader import read_package
    from lienthong.edxml.writer import package_to_bytes, write_package

    tmp, size, zipped = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "zip"

    def peak_kib():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("no VmHWM")

    def package(att):
        return DocumentPackage(
            header=MessageHeader(from_=Organization("000.00.00.G22"), subject="Tệp lớn"),
            attachments=[att],
        )

    source = tmp / "payload.bin"
    block = os.urandom(1 << 20)
    expected = hashlib.sha256()
    with source.open("wb") as fh:
        for i in range(size >> 20):
            chunk = block[i:] + block[:i]
            fh.write(chunk)
            expected.update(chunk)
    written = tmp / "big.edxml"
    with written.open("wb") as fh:
        write_package(package(attachment_from_path(source, zipped=zipped, content_id="cid:1")), fh)

    small = package(attachment_from_bytes("a.pdf", block[:200_000], zipped=zipped, content_id="cid:1"))
    for _ in range(2):
        warm = read_package(package_to_bytes(small), spool_dir=tmp, attachments="lazy")
        warm.attachments[0].read_bytes()
    del warm
    base = peak_kib()

    back = read_package(written, spool_dir=tmp, attachments="lazy")
    (got,) = back.attachments
    size_before = got.size
    after_read = peak_kib()
    digest = hashlib.sha256()
    for chunk in got.iter_chunks():
        digest.update(chunk)
    after_load = peak_kib()

    print(json.dumps({
        "read_growth_kib": after_read - base,
        "load_growth_kib": after_load - base,
        "file_bytes": written.stat().st_size,
        "size_before": size_before,
        "size": got.size,
        "zipped": got.zipped,
        "sha_reader": got.sha256,
        "sha_streamed": digest.hexdigest(),
        "sha_expected": expected.hexdigest(),
    }))
    """
)


def run(tmp_path: Path, size: int, mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), str(size), mode],
        capture_output=True,
        text=True,
        check=False,
        timeout=280,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    assert result["size_before"] is None
    assert result["size"] == size
    assert result["zipped"] is (mode == "zip")
    assert result["sha_reader"] == result["sha_expected"]
    assert result["sha_streamed"] == result["sha_expected"]
    return result


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["raw", "zip"])
def test_lazy_read_of_a_100mib_attachment_in_bounded_memory(tmp_path: Path, mode: str) -> None:
    """Past the fast path's threshold: streamed, the base64 text spooled to disk."""
    result = run(tmp_path, 100 * MiB, mode)
    assert isinstance(result["file_bytes"], int)
    assert result["file_bytes"] > 32 * MiB  # the streaming path
    limit_kib = 24 * MiB // 1024  # measured ~10 MiB: feed chunk, text batch, parser buffers
    assert isinstance(result["read_growth_kib"], int)
    assert isinstance(result["load_growth_kib"], int)
    assert result["read_growth_kib"] < limit_kib, result
    assert result["load_growth_kib"] < limit_kib, result


@pytest.mark.slow
def test_lazy_fast_path_keeps_about_the_package_bytes(tmp_path: Path) -> None:
    """Under the threshold: the package's bytes stay in memory, the tree is the envelope."""
    result = run(tmp_path, 16 * MiB, "raw")
    assert isinstance(result["file_bytes"], int)
    assert result["file_bytes"] < 32 * MiB  # the fast path
    package_kib = result["file_bytes"] // 1024
    assert isinstance(result["read_growth_kib"], int)
    assert isinstance(result["load_growth_kib"], int)
    assert result["read_growth_kib"] < 1.5 * package_kib, result
    assert result["load_growth_kib"] < 1.5 * package_kib, result
