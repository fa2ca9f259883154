"""Error messages of the UI: page titles, form mistakes, and the services' error codes
(``error.<code>``, or ``error.<code>.<field>`` for one field) in plain words."""

from __future__ import annotations

ERRORS: dict[str, tuple[str, str]] = {
    "error.title": ("Không thực hiện được", "Something went wrong"),
    "error.title.400": ("Yêu cầu không hợp lệ", "Bad request"),
    "error.title.401": ("Cần đăng nhập", "Login needed"),
    "error.title.403": ("Không có quyền", "Not allowed"),
    "error.title.404": ("Không tìm thấy", "Not found"),
    "error.title.409": ("Không thực hiện được ở trạng thái này", "Not possible in this state"),
    "error.title.422": ("Thông tin chưa hợp lệ", "Invalid information"),
    "error.title.500": ("Lỗi hệ thống", "System error"),
    "error.title.503": ("Hệ thống tạm thời không sẵn sàng", "Temporarily unavailable"),
    "error.http": (
        "Không mở được trang này (mã {status}).",
        "This page could not be opened ({status}).",
    ),
    "error.internal": (
        "Hệ thống gặp lỗi ngoài dự kiến. Vui lòng thử lại hoặc báo quản trị viên.",
        "An unexpected error happened. Try again or tell the administrator.",
    ),
    "error.code": ("Mã lỗi", "Error code"),
    "error.back_home": ("Về trang chủ", "Back to the home page"),
    "error.csrf.title": ("Phiên làm việc đã thay đổi", "The session changed"),
    "error.csrf": (
        "Biểu mẫu đã cũ hoặc không gửi từ trang này. Hãy tải lại trang và thử lại.",
        "The form is stale or did not come from this site. Reload the page and try again.",
    ),
    "error.generic": ("Không thực hiện được: {detail}", "Could not be done: {detail}"),
    "error.unknown_action": ("Thao tác không hợp lệ.", "Unknown action."),
    "error.bad_date": ("Ngày không hợp lệ (ngày/tháng/năm).", "Not a valid date (day/month/year)."),
    "error.bad_number": ("Hãy nhập một số nguyên không âm.", "Enter a whole number."),
    "error.required.username": ("Vui lòng nhập tên đăng nhập.", "Enter the username."),
    "error.required.password": ("Vui lòng nhập mật khẩu.", "Enter the password."),
    "error.required.full_name": ("Vui lòng nhập họ và tên.", "Enter the full name."),
    "error.required.roles": ("Chọn ít nhất một vai trò.", "Choose at least one role."),
    "error.required.subject": ("Vui lòng nhập trích yếu nội dung.", "Enter the subject."),
    "error.required.sender_name": ("Vui lòng nhập cơ quan gửi.", "Enter the sender."),
    "error.required.scan": ("Vui lòng chọn tệp bản quét (PDF).", "Choose the scan (PDF)."),
    "error.required.lead": ("Vui lòng chọn người chủ trì xử lý.", "Choose the lead handler."),
    "error.required.recipients": (
        "Chọn ít nhất một nơi nhận hoặc nhập nơi nhận khác.",
        "Choose at least one recipient or name another one.",
    ),
    "error.required.external_name": (
        "Vui lòng nhập tên nơi nhận cho địa chỉ thư điện tử này.",
        "Name the recipient of this e-mail address.",
    ),
    "error.required.main_pdf": ("Vui lòng chọn tệp PDF.", "Choose a PDF file."),
    "error.required.unit_name": ("Vui lòng nhập tên đơn vị.", "Enter the unit's name."),
    "error.required.abbreviation": ("Vui lòng nhập chữ viết tắt.", "Enter the abbreviation."),
    "error.required.entry_name": ("Vui lòng nhập tên loại văn bản.", "Enter the entry's name."),
    "error.required.token": ("Vui lòng nhập mã truy cập.", "Enter the access token."),
    "error.hub.token": (
        "Mã truy cập không đúng hoặc đã bị thu hồi.",
        "The access token is wrong or revoked.",
    ),
    # the services' codes
    "error.auth.login": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password."),
    "error.auth.throttled": (
        "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút.",
        "Too many failed logins. Try again in a few minutes.",
    ),
    "error.auth.agency_required": (
        "Bạn làm việc ở nhiều cơ quan: hãy chọn cơ quan.",
        "You work in several agencies: choose one.",
    ),
    "error.auth.password": ("Mật khẩu hiện tại không đúng.", "The current password is wrong."),
    "error.office.missing_field": ("Vui lòng điền thông tin này.", "This is required."),
    "error.office.missing_field.reason": ("Vui lòng nhập lý do.", "Enter the reason."),
    "error.office.missing_field.note": ("Vui lòng nhập nội dung.", "Enter a note."),
    "error.office.missing_field.comment": ("Vui lòng nhập ý kiến.", "Enter the comment."),
    "error.office.missing_field.subject": (
        "Vui lòng nhập trích yếu nội dung.",
        "Enter the subject.",
    ),
    "error.office.too_long": ("Nội dung quá dài.", "Too long."),
    "error.office.deadline_past": (
        "Hạn xử lý không được là ngày đã qua.",
        "The deadline cannot be in the past.",
    ),
    "error.office.handler_unknown": (
        "Người được chọn không phải cán bộ của cơ quan.",
        "That person is not staff of the agency.",
    ),
    "error.office.not_pdf": ("Tệp không phải định dạng PDF.", "The file is not a PDF."),
    "error.office.file_too_large": ("Tệp quá lớn.", "The file is too large."),
    "error.office.signer_not_leader": (
        "Người ký phải là lãnh đạo của cơ quan.",
        "The signer must be a leader of the agency.",
    ),
    "error.office.doctype_unknown": ("Loại văn bản không hợp lệ.", "Unknown document type."),
    "error.office.doctype_normative": (
        "Văn bản quy phạm pháp luật được cấp số theo quy định riêng.",
        "Legal normative documents are numbered under their own law.",
    ),
    "error.office.recipient_email": (
        "Gửi thư điện tử cần địa chỉ hợp lệ và không dùng cho văn bản mật.",
        "E-mail needs an address and never carries classified documents.",
    ),
    "error.office.recipient_not_on_hub": (
        "Chỉ cơ quan trong danh bạ mới nhận qua trục liên thông.",
        "Only directory agencies are reached through the hub.",
    ),
    "error.office.invalid_username": (
        "Tên đăng nhập 2–64 ký tự: chữ thường không dấu, số, dấu chấm, gạch dưới, gạch ngang.",
        "Username: 2–64 lower-case letters, digits, '.', '_', '-'.",
    ),
    "error.office.weak_password": ("Mật khẩu cần ít nhất 8 ký tự.", "At least 8 characters."),
    "error.office.invalid_name": ("Tên không hợp lệ.", "Not a valid name."),
    "error.office.invalid_abbreviation": (
        "Chữ viết tắt không có khoảng trắng, '/', '-' hoặc ','; không dùng 'CV'.",
        "No spaces, '/', '-' or ','; never 'CV'.",
    ),
    "error.office.unit_unknown": ("Không có đơn vị này.", "No such unit."),
    "error.office.user_exists": ("Tên đăng nhập đã được dùng.", "This username is taken."),
    "error.office.role_missing": ("Chọn ít nhất một vai trò.", "Choose at least one role."),
    "error.office.forbidden_role": (
        "Vai trò của bạn không được thực hiện thao tác này.",
        "Your role does not allow this.",
    ),
    "error.office.document_unknown": (
        "Không tìm thấy văn bản, hoặc bạn không có quyền xem.",
        "No such document, or you may not see it.",
    ),
    "error.office.no_signing_key": (
        "Bạn chưa được cấp chứng thư số để ký.",
        "You have no signing certificate.",
    ),
    "error.office.keys_unconfigured": (
        "Hệ thống chưa được cấu hình khóa ký số.",
        "No signing keys are configured.",
    ),
    "error.office.key_unknown": ("Không tìm thấy khóa ký số.", "The signing key was not found."),
    "error.workflow.illegal_transition": (
        "Thao tác không thực hiện được ở trạng thái hiện tại của văn bản.",
        "This cannot be done in the document's current state.",
    ),
    "error.workflow.concurrent_change": (
        "Văn bản vừa được người khác thay đổi. Hãy tải lại trang.",
        "Someone else changed the document meanwhile. Reload the page.",
    ),
    "error.workflow.missing_pdf": ("Dự thảo chưa có tệp PDF.", "The draft has no PDF."),
    "error.workflow.missing_signer": ("Dự thảo chưa chọn người ký.", "The draft names no signer."),
    "error.workflow.no_recipients": ("Dự thảo chưa có nơi nhận.", "The draft has no recipient."),
    "error.workflow.not_the_signer": (
        "Chỉ người có thẩm quyền được chỉ định mới ký văn bản này.",
        "Only the designated signer signs this document.",
    ),
    "error.workflow.not_a_handler": (
        "Chỉ người được giao xử lý mới thực hiện được.",
        "Only a handler of the document can do this.",
    ),
    "error.workflow.confidential_not_dispatchable": (
        "Văn bản mật không được gửi qua trục liên thông.",
        "Classified documents never go through the hub.",
    ),
    "error.workflow.paper_form": (
        "Văn bản chỉ có bản giấy: hãy chuyển bản giấy.",
        "A paper-only document is handed over.",
    ),
    "error.workflow.no_hub_recipients": (
        "Không có nơi nhận trên trục: hãy chuyển bản giấy.",
        "No recipient is on the hub: hand it over.",
    ),
    "error.storage.unavailable": (
        "Cơ sở dữ liệu tạm thời không truy cập được.",
        "The database is unavailable for now.",
    ),
}
