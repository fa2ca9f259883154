"""Page images of PDFs for the document pages, made by poppler's ``pdftoppm``.

Images are made on first view and kept under ``<cache>/<sha256>/page-N.png``: a PDF's
SHA-256 names its bytes, so a cached preview is never stale. Only the first
:data:`MAX_PAGES` pages are shown (the download link gives the whole document). A PDF
poppler cannot read simply has no preview.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("lienthong.web.preview")

MAX_PAGES = 4
#: Resolution of the page images (dots per inch): readable, and light for old PCs.
DPI = 80
TIMEOUT_S = 60
_SHA256 = re.compile(r"[0-9a-f]{64}")
_PAGE = re.compile(r"page-0*(\d+)\.png")


class Previewer:
    """Renders and caches page images by the PDF's SHA-256."""

    def __init__(self, cache_dir: Path, *, max_pages: int = MAX_PAGES, dpi: int = DPI) -> None:
        self.cache_dir = cache_dir
        self.max_pages = max_pages
        self.dpi = dpi
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _dir(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError("not a SHA-256")
        return self.cache_dir / sha256

    def pages(self, sha256: str, load: Callable[[], bytes]) -> int:
        """How many page images the PDF has (making them first if needed); 0 if none."""
        target = self._dir(sha256)
        if target.is_dir():
            return self._count(target)
        with self._lock:
            lock = self._locks.setdefault(sha256, threading.Lock())
        with lock:
            if not target.is_dir():
                self._render(load(), target)
        return self._count(target)

    def page(self, sha256: str, number: int) -> Path | None:
        """The image of page ``number`` (1-based), if it was made."""
        target = self._dir(sha256)
        if not target.is_dir() or not 1 <= number <= self.max_pages:
            return None
        path = target / f"page-{number}.png"
        return path if path.is_file() else None

    @staticmethod
    def _count(target: Path) -> int:
        return sum(1 for p in target.iterdir() if _PAGE.fullmatch(p.name))

    def _render(self, pdf: bytes, target: Path) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".render-", dir=self.cache_dir))
        try:
            source = work / "in.pdf"
            source.write_bytes(pdf)
            out = work / "out"
            out.mkdir()
            command = [
                "pdftoppm",
                "-png",
                "-r",
                str(self.dpi),
                "-l",
                str(self.max_pages),
                str(source),
                str(out / "page"),
            ]
            try:
                subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=True)
            except (subprocess.SubprocessError, OSError) as exc:
                log.warning("no preview for a PDF: %s", type(exc).__name__)
            for made in out.iterdir():
                match = _PAGE.fullmatch(made.name)
                if match:
                    made.rename(out / f"page-{int(match.group(1))}.png")
            try:
                out.rename(target)
            except OSError:  # another process made it meanwhile
                shutil.rmtree(out, ignore_errors=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
