"""PAdES signing of PDF documents as the competent person, as the agency, and of attachments.

One :class:`PdfSigner` per identity: its key is loaded once and reused for every
document, the signature space is reserved at a fixed size (no dry-run signature to
measure it), the signature images are encoded once. Every signature is an incremental
update, so earlier signatures stay valid.

Levels (ETSI EN 319 142-1):

- ``B-B``: CAdES-detached CMS with the signing certificate and its chain.
- ``B-T``: plus an RFC 3161 signature timestamp from ``tsa_url``.
- ``B-LT``: plus the certificates, CRLs and OCSP answers needed to validate it later,
  embedded in the document security store (DSS) in the same revision.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata
from pyhanko.sign.signers import PdfSigner as HankoPdfSigner
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

from lienthong.clock import Clock, SystemClock
from lienthong.errors import SignatureError
from lienthong.pdfsign import images
from lienthong.pdfsign.appearance import (
    AttachmentStampStyle,
    PreparedImage,
    SealStyle,
    SignerImageStyle,
    vn_time,
)
from lienthong.pdfsign.context import asn1_cert, validation_context
from lienthong.pdfsign.fonts import StampFontFactory, text_width
from lienthong.pdfsign.http import http_session
from lienthong.pdfsign.keys import LoadedKeySigner
from lienthong.pdfsign.layout import A4, AttachmentLayout, Rect, SignatureLayout
from lienthong.pki.model import SigningIdentity, TrustStore
from lienthong.pki.revocation import RevocationStatus, check_revocation
from lienthong.text import nfc

Level = Literal["B-B", "B-T", "B-LT"]
LEVELS: tuple[str, ...] = get_args(Level)
#: Room for the CMS besides the certificates (signed attributes, signature value), bytes.
_CMS_OVERHEAD = 3072
#: Room for a signature timestamp token (the TSA's certificates included), bytes.
_TST_ROOM = 8192
DEFAULT_LAYOUT = SignatureLayout()
#: Characters the agency's stamps always may need: labels, notations (upper case).
_STAMP_LABELS = "Số, ký hiệu: Thời gian ký: Cơ quan: ABCDEFGHIJKLMNOPQRSTUVWXYZĐ"


@dataclass(frozen=True)
class _Placement:
    field_name: str
    page: int
    box: Rect


def _subject_attr(identity: SigningIdentity, oid: Any) -> str | None:
    values = identity.certificate.subject.get_attributes_for_oid(oid)
    return nfc(str(values[0].value)) if values else None


class PdfSigner:
    """Signs PDFs with one identity, at one PAdES level (see the module docstring).

    ``tsa_url`` is required for B-T and B-LT, ``trust`` for B-LT (the roots, intermediates
    and CRLs that go into the DSS; with ``allow_fetching`` the CRLs and OCSP answers named
    in the certificates are fetched too). ``signature_png`` / ``seal_png`` replace the
    generated demo images (:mod:`lienthong.pdfsign.images`).
    """

    def __init__(
        self,
        identity: SigningIdentity,
        *,
        level: Level = "B-B",
        tsa_url: str | None = None,
        trust: TrustStore | None = None,
        clock: Clock | None = None,
        allow_fetching: bool = False,
        signature_png: bytes | None = None,
        seal_png: bytes | None = None,
    ) -> None:
        if level not in LEVELS:
            raise SignatureError(f"unknown PAdES level {level!r}", code="pdfsign.level")
        if level != "B-B" and not tsa_url:
            raise SignatureError(f"{level} needs a TSA URL", code="pdfsign.tsa_missing")
        if level == "B-LT" and trust is None:
            raise SignatureError("B-LT needs a trust store", code="pdfsign.trust_missing")
        self.identity = identity
        self.level: Level = level
        self.tsa_url = tsa_url
        self.trust = trust
        self.clock: Clock = clock or SystemClock()
        self.allow_fetching = allow_fetching
        self._cms_signer = LoadedKeySigner(identity)
        cert_bytes = sum(
            len(c.public_bytes(Encoding.DER)) for c in (identity.certificate, *identity.chain)
        )
        room = cert_bytes + _CMS_OVERHEAD + (_TST_ROOM if level != "B-B" else 0)
        #: Hex characters reserved for the CMS in /Contents (fixed: no dry run).
        self.bytes_reserved = 2 * room
        self._signature_png = signature_png
        self._seal_png = seal_png
        self._signature_image: PreparedImage | None = None
        self._seal_image: PreparedImage | None = None
        self._font = StampFontFactory().for_text(_STAMP_LABELS, self.agency_name)

    def __repr__(self) -> str:
        return f"PdfSigner({self.identity.name!r}, level={self.level!r})"

    # -- who --------------------------------------------------------------------------

    @property
    def display_name(self) -> str:
        """The certificate's common name (a person's name, or an agency's)."""
        return _subject_attr(self.identity, NameOID.COMMON_NAME) or self.identity.name

    @property
    def agency_name(self) -> str:
        """The agency named in the certificate (``O``), else its common name."""
        return _subject_attr(self.identity, NameOID.ORGANIZATION_NAME) or self.display_name

    def signature_image(self) -> PreparedImage:
        if self._signature_image is None:
            if self._signature_png is not None:
                self._signature_image = PreparedImage.from_png(self._signature_png)
            else:
                self._signature_image = PreparedImage.from_image(
                    images.signature_image(self.display_name), dpi=300
                )
        return self._signature_image

    def seal_image(self, diameter_mm: float) -> PreparedImage:
        if self._seal_image is None:
            if self._seal_png is not None:
                self._seal_image = PreparedImage.from_png(self._seal_png)
            else:
                self._seal_image = PreparedImage.from_image(
                    images.seal_image(self.agency_name, diameter_mm=diameter_mm), dpi=300
                )
        return self._seal_image

    # -- the three signatures -----------------------------------------------------------

    def sign_as_signer(
        self,
        pdf: bytes,
        *,
        layout: SignatureLayout = DEFAULT_LAYOUT,
        signer_display_name: str | None = None,
        title: str | None = None,
        reason: str | None = None,
        location: str | None = None,
        field_name: str = "ChuKyNguoiCoThamQuyen",
    ) -> bytes:
        """Sign as the competent person: the signature image in ``layout.signer_box``.

        ``signer_display_name`` (default: the certificate's CN) becomes the signature's
        /Name, ``reason`` (default: ``title``) its /Reason.
        """
        style = SignerImageStyle(self.signature_image())
        place = _Placement(field_name, layout.page, layout.signer_box)
        name = nfc(signer_display_name) if signer_display_name else self.display_name
        return self._run(pdf, place, style, name=name, reason=reason or title, location=location)

    def sign_as_agency(
        self,
        pdf: bytes,
        *,
        agency_name: str | None = None,
        layout: SignatureLayout = DEFAULT_LAYOUT,
        reason: str | None = "Phát hành văn bản",
        location: str | None = None,
        field_name: str = "ChuKyCoQuan",
    ) -> bytes:
        """Sign as the agency: the red seal over the left third of the signer's image."""
        agency = nfc(agency_name) if agency_name else self.agency_name
        now = self.clock.now()
        details = (agency, vn_time(now)) if layout.seal_details else ()
        style = SealStyle(
            self.seal_image(layout.seal_diameter_mm),
            details=details,
            font=self._font_for(*details),
            font_size=layout.details_font_size,
        )
        place = _Placement(field_name, layout.page, layout.seal_rect())
        return self._run(pdf, place, style, name=agency, reason=reason, location=location, now=now)

    def stamp_attachment(
        self,
        pdf: bytes,
        *,
        number_notation: str,
        agency_name: str | None = None,
        layout: AttachmentLayout | None = None,
        reason: str | None = "Phát hành văn bản kèm theo",
        field_name: str = "ChuKyCoQuanPhuLuc",
    ) -> bytes:
        """Sign an attachment as the agency: a text stamp at the top right of page 1."""
        layout = layout or AttachmentLayout()
        agency = nfc(agency_name) if agency_name else self.agency_name
        number = nfc(number_notation).strip().removeprefix("Số:").strip()
        now = self.clock.now()
        lines = (
            f"Số, ký hiệu: {number}",
            f"Thời gian ký: {vn_time(now)}",
            f"Cơ quan: {agency}",
        )
        style = AttachmentStampStyle(
            lines,
            font=self._font_for(*lines),
            font_size=layout.font_size,
            leading=layout.leading,
            padding=layout.padding,
        )
        width = max(text_width(line, layout.font_size) for line in lines)

        def place(writer: IncrementalPdfFileWriter) -> _Placement:
            page_w, page_h = _page_size(writer, layout.page)
            return _Placement(field_name, layout.page, layout.rect(page_w, page_h, width, 3))

        return self._run(pdf, place, style, name=agency, reason=reason, location=None, now=now)

    # -- machinery --------------------------------------------------------------------

    def _font_for(self, *lines: str) -> StampFontFactory:
        """The stamp font, cut again (and cached) only if ``lines`` need new characters."""
        text = "".join(lines)
        if not self._font.covers(text):
            self._font = self._font.for_text(_STAMP_LABELS, self.agency_name, text)
        return self._font

    def _run(self, pdf: bytes, place: Any, style: Any, **kwargs: Any) -> bytes:
        if self.trust is not None:
            self._refuse_if_revoked()
        try:
            return asyncio.run(self._sign(pdf, place, style, **kwargs))
        except TimestampRequestError as exc:
            raise SignatureError(
                f"the timestamp authority {self.tsa_url} failed: {exc}", code="pdfsign.tsa"
            ) from exc
        except (PdfError, SigningError, PathValidationError, PathBuildingError) as exc:
            raise SignatureError(f"could not sign the PDF: {exc}", code="pdfsign.sign") from exc

    def _refuse_if_revoked(self) -> None:
        """Never sign with a certificate the trust store's CRLs list as revoked."""
        assert self.trust is not None  # noqa: S101 - callers check
        check = check_revocation(self.identity.certificate, self.trust, at=self.clock.now())
        if check.status is RevocationStatus.REVOKED:
            raise SignatureError(
                f"the certificate of {self.display_name} was revoked at {check.revoked_at}",
                code="pdfsign.revoked",
            )

    async def _sign(
        self,
        pdf: bytes,
        place: _Placement | Any,
        style: Any,
        *,
        now: datetime | None = None,
        **kwargs: Any,
    ) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        if writer.prev.encrypted:
            raise SignatureError("encrypted PDFs are not signed", code="pdfsign.encrypted")
        if not isinstance(place, _Placement):
            place = place(writer)
        field_name = _free_field_name(writer, place.field_name)
        now = now or self.clock.now()
        if self.level == "B-B":
            return await self._sign_in(
                writer, place, field_name=field_name, style=style, now=now, session=None, **kwargs
            )
        async with http_session() as session:
            return await self._sign_in(
                writer,
                place,
                field_name=field_name,
                style=style,
                now=now,
                session=session,
                **kwargs,
            )

    async def _sign_in(
        self,
        writer: IncrementalPdfFileWriter,
        place: _Placement,
        *,
        field_name: str,
        style: Any,
        now: datetime,
        session: Any,
        name: str,
        reason: str | None,
        location: str | None,
    ) -> bytes:
        lt_context = self._lt_context(session) if self.level == "B-LT" else None
        meta = PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            name=name,
            reason=reason,
            location=location,
            embed_validation_info=lt_context is not None,
            validation_context=lt_context,
            dss_settings=DSSContentSettings(
                include_vri=False, placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE
            ),
        )
        spec = fields.SigFieldSpec(
            sig_field_name=field_name, on_page=place.page, box=place.box.as_field_box()
        )
        timestamper = (
            HTTPTimeStamper(self.tsa_url, session=session) if session is not None else None
        )
        hanko = HankoPdfSigner(
            meta,
            self._cms_signer,
            timestamper=timestamper,
            stamp_style=style,
            new_field_spec=spec,
        )
        try:
            session_ = hanko.init_signing_session(writer)
            session_.system_time = now
            validation_info = await session_.perform_presign_validation(writer)
            tbs = session_.prepare_tbs_document(
                validation_info=validation_info, bytes_reserved=self.bytes_reserved
            )
            prepared, output = tbs.digest_tbs_document(output=io.BytesIO())
            post = await tbs.perform_signature(
                document_digest=prepared.document_digest,
                pdf_cms_signed_attrs=PdfCMSSignedAttributes(signing_time=now),
            )
            await post.post_signature_processing(output)
        finally:
            if lt_context is not None:
                await lt_context.aclose()
        assert isinstance(output, io.BytesIO)  # noqa: S101 - we passed a BytesIO
        return output.getvalue()

    def _lt_context(self, session: Any) -> Any:
        assert self.trust is not None  # noqa: S101 - checked in __init__
        return validation_context(
            self.trust,
            other_certs=[asn1_cert(c) for c in self.identity.chain],
            allow_fetching=self.allow_fetching,
            moment=self.clock.now(),
            revocation_mode="hard-fail",
            session=session,
        )


def _free_field_name(writer: IncrementalPdfFileWriter, wanted: str) -> str:
    """``wanted``, or ``wanted_2``, ``wanted_3``… when a field of that name exists."""
    taken = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev)}
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}_{n}"
    return candidate


def _page_size(writer: IncrementalPdfFileWriter, page: int) -> tuple[float, float]:
    """Width and height of a page's MediaBox (inherited ones included), A4 if absent."""
    handler: Any = writer  # pyHanko leaves this method untyped
    page_ref, _ = handler.find_page_for_modification(page)
    node = page_ref.get_object()
    while node is not None:
        if "/MediaBox" in node:
            x0, y0, x1, y1 = (float(v) for v in node["/MediaBox"])
            return abs(x1 - x0), abs(y1 - y0)
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return A4
