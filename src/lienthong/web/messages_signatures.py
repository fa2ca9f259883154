"""Messages of the signature reports and of the business statuses (01–16)."""

from __future__ import annotations

SIGNATURES: dict[str, tuple[str, str]] = {
    "status.code": ("Trạng thái", "Status"),
    "status.time": ("Thời điểm", "Time"),
    "status.sent": ("Đã gửi đi", "Sent"),
    "status.01": ("Đã đến", "Arrived"),
    "status.02": ("Từ chối tiếp nhận", "Rejected"),
    "status.03": ("Đã tiếp nhận, vào sổ", "Accepted"),
    "status.04": ("Đã phân công xử lý", "Assigned"),
    "status.05": ("Đang xử lý", "In progress"),
    "status.06": ("Hoàn thành", "Finished"),
    "status.13": ("Đề nghị lấy lại", "Take-back request"),
    "status.15": ("Đồng ý", "Agreed"),
    "status.16": ("Từ chối", "Refused"),
    "outbox.pending": ("Chờ gửi", "Waiting"),
    "outbox.sent": ("Đã gửi", "Sent"),
    "outbox.failed": ("Không gửi được", "Failed"),
    "sig.pdf.title": ("Chữ ký số trên văn bản", "Signatures in the document"),
    "sig.package.title": ("Chữ ký số của gói tin", "Signature of the package"),
    "sig.no_trust": (
        "Chưa cấu hình kho chứng thư tin cậy: không kiểm tra được chữ ký.",
        "No trust store is configured: signatures cannot be checked.",
    ),
    "sig.unreadable": ("Không đọc được tệp PDF để kiểm tra chữ ký.", "The PDF could not be read."),
    "sig.unsigned": ("Văn bản không có chữ ký số.", "The document has no digital signature."),
    "sig.summary.ok": ("Tất cả {count} chữ ký số đều hợp lệ.", "All {count} signatures are valid."),
    "sig.summary.bad": (
        "Có chữ ký số không hợp lệ: văn bản chỉ có giá trị tham khảo.",
        "A signature is invalid: the document is for information only.",
    ),
    "sig.summary.unknown": (
        "Chưa xác minh được đầy đủ chữ ký số.",
        "The signatures could not be fully verified.",
    ),
    "sig.verdict.ok": ("Hợp lệ", "Valid"),
    "sig.verdict.bad": ("Không hợp lệ", "Invalid"),
    "sig.verdict.unknown": ("Chưa xác định", "Undetermined"),
    "sig.intact": (
        "Nội dung văn bản không bị thay đổi sau khi ký.",
        "The content has not changed since it was signed.",
    ),
    "sig.changed_after": (
        "Văn bản đã bị sửa đổi sau khi ký.",
        "The document was changed after it was signed.",
    ),
    "sig.broken": (
        "Chữ ký không khớp với nội dung: văn bản đã bị thay đổi hoặc chữ ký bị hỏng.",
        "The signature does not match the content: changed or damaged.",
    ),
    "sig.trusted": (
        "Chứng thư số do tổ chức cung cấp dịch vụ tin cậy cấp.",
        "The certificate comes from a trusted authority.",
    ),
    "sig.untrusted": (
        "Chứng thư số không thuộc tổ chức tin cậy.",
        "The certificate is not from a trusted authority.",
    ),
    "sig.revoked": ("Chứng thư số đã bị thu hồi.", "The certificate has been revoked."),
    "sig.revocation_unknown": (
        "Chưa kiểm tra được tình trạng thu hồi của chứng thư.",
        "Whether the certificate was revoked could not be checked.",
    ),
    "sig.not_revoked": ("Chứng thư số chưa bị thu hồi.", "The certificate is not revoked."),
    "sig.timestamp_ok": ("Có dấu thời gian hợp lệ.", "It carries a valid timestamp."),
    "sig.timestamp_bad": ("Dấu thời gian không hợp lệ.", "Its timestamp is not valid."),
    "sig.when": ("Thời điểm ký: {when}", "Signed at: {when}"),
    "sig.unknown_signer": ("Không rõ người ký", "Unknown signer"),
    "sig.package.none": (
        "Văn bản không đến qua trục nên không có chữ ký gói tin.",
        "Not received through the hub: no package signature.",
    ),
    "sig.package.unreadable": ("Không đọc được kết quả kiểm tra.", "The checks cannot be read."),
    "sig.package.ok": ("{file}: chữ ký hợp lệ.", "{file}: valid signature."),
    "sig.package.bad": ("{file}: chữ ký không hợp lệ.", "{file}: invalid signature."),
    "sig.package.verdict": ("Kết quả kiểm tra: {verdict}", "Check result: {verdict}"),
    "sig.package.summary.ok": (
        "Gói tin được ký hợp lệ bởi cơ quan gửi.",
        "The package is validly signed by the sender.",
    ),
    "sig.package.summary.bad": (
        "Chữ ký của gói tin không hợp lệ: cần kiểm tra trước khi tiếp nhận.",
        "The package signature is invalid: check before accepting.",
    ),
    "sig.package.summary.unknown": (
        "Chưa có kết quả kiểm tra chữ ký gói tin.",
        "The package signature was not checked.",
    ),
}
