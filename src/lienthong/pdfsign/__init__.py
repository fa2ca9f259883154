"""lienthong.pdfsign: PAdES signatures with the Decree 30 appearance, and validation reports.

- :mod:`.signer`: :class:`~.signer.PdfSigner` (sign as the competent person, as the agency,
  stamp attachments; levels B-B, B-T, B-LT).
- :mod:`.validate`: :func:`~.validate.validate_pdf` → :class:`~.report.PdfValidationReport`.
- :mod:`.layout`, :mod:`.appearance`, :mod:`.images`, :mod:`.fonts`: where and how the
  signatures look. :mod:`.sample`: demo documents to sign. See ``docs/signatures.md``.

Kept import-free so ``import lienthong.pdfsign`` stays cheap; import the modules you need.
"""
