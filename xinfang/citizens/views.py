"""Citizens' portal: sign in by phone and one-time code, my petitions, adding material, files."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from xinfang.audit.models import AuditAction
from xinfang.audit.services import audit_record
from xinfang.cases.models import Attachment, Case
from xinfang.citizens.selectors import attachment_get_for_staff, my_case_get, my_case_list
from xinfang.citizens.services import OtpThrottled, case_material_add, otp_send, otp_verify
from xinfang.core.errors import ApplicationError, FieldErrors, Msg
from xinfang.core.http import client_ip, client_key
from xinfang.intake.validation import RawFile, check_files
from xinfang.tracking.services import track_view

# The tracking page's own session memory and renderer: a signed-in citizen sees (and acts on)
# their case through exactly the page a query-code look-up shows.
from xinfang.tracking.views import track_remember, track_render, track_verified_case

# What the board's "this is my issue too" reads as well: the blind index, never the number.
SESSION_PHONE_INDEX = "citizen_phone_index"
SESSION_PHONE_MASK = "citizen_phone_mask"
# Images and PDFs open in the browser; anything else (Word, Excel) only downloads.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"})

CODE_SENT = Msg(
    "验证码已发送至 {phone}，5 分钟内有效。",
    "A code was sent to {phone}; it is valid for 5 minutes.",
)
MATERIAL_ADDED = Msg("补充材料已提交。", "Your material was added.")
NOT_YOURS = Msg("请先登录或输入查询码和验证信息。", "Sign in or look the case up first.")


def _signed_in(request: HttpRequest) -> str:
    return str(request.session.get(SESSION_PHONE_INDEX, ""))


def _errors(exc: FieldErrors) -> dict[str, list[str]]:
    return {field: [str(m) for m in msgs] for field, msgs in exc.errors.items()}


def _mask(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())[-11:]
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else ""


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if ok else reverse("citizens:home")


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Two steps on one page: the phone, then the code texted to it. The phone stays filled
    in on every answer, errors show under their field."""
    context: dict[str, Any] = {"step": "phone", "phone": "", "errors": {}, "next": ""}
    context["next"] = request.POST.get("next") or request.GET.get("next", "")
    if request.method == "GET":
        return render(request, "citizens/login.html", context)
    phone = request.POST.get("phone", "").strip()
    context["phone"] = phone
    status = 200
    try:
        if request.POST.get("action") == "verify":
            context["step"] = "code"
            index = otp_verify(
                phone=phone, code=request.POST.get("code", ""), client=client_key(request)
            )
            request.session.cycle_key()  # a new session id at sign-in: no fixation
            request.session[SESSION_PHONE_INDEX] = index
            request.session[SESSION_PHONE_MASK] = _mask(phone)
            return redirect(_next_url(request))
        otp_send(phone=phone, client=client_key(request))
        context["step"] = "code"
        context["sent"] = str(CODE_SENT.format(phone=_mask(phone)))
    except OtpThrottled as exc:
        context["errors"] = _errors(exc)
        status = 429
    except FieldErrors as exc:
        context["errors"] = _errors(exc)
        if "phone" in exc.errors:
            context["step"] = "phone"
        status = 400
    except ApplicationError as exc:
        context["errors"] = {"form": [str(exc.message)]}
        status = 503 if exc.code == "sms_failed" else 400
    return render(request, "citizens/login.html", context, status=status)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    # Everything goes, the cases remembered for the tracking page's actions included.
    request.session.flush()
    return redirect("intake:home")


def home(request: HttpRequest) -> HttpResponse:
    """我的信访: the signed-in phone's named petitions."""
    index = _signed_in(request)
    if not index:
        return redirect(f"{reverse('citizens:login')}?next={reverse('citizens:home')}")
    context = {
        "cases": list(my_case_list(phone_index=index)[:200]),
        "phone_mask": request.session.get(SESSION_PHONE_MASK, ""),
    }
    return render(request, "citizens/home.html", context)


def case(request: HttpRequest, query_code: str) -> HttpResponse:
    """One of my petitions on the tracking page, without the second factor: the code texted
    to the petitioner's phone already proved it."""
    index = _signed_in(request)
    if not index:
        return redirect(f"{reverse('citizens:login')}?next={request.path}")
    found = my_case_get(phone_index=index, query_code=query_code)
    if found is None:
        raise Http404
    track_remember(request, found.pk)  # so the tracking page's actions accept this browser
    context = {"query_code": found.query_code, "view": track_view(case=found), "signed_in": True}
    return track_render(request, context, 200)


def _petitioner_case(request: HttpRequest, query_code: str) -> Case | None:
    """The case if this browser proved it is the petitioner's: signed in with its phone, or
    a recent query-code look-up."""
    index = _signed_in(request)
    if index and query_code:
        mine = my_case_get(phone_index=index, query_code=query_code)
        if mine is not None:
            return mine
    return track_verified_case(request, query_code)


def _case_url(request: HttpRequest, case: Case) -> str:
    if _signed_in(request) and my_case_get(
        phone_index=_signed_in(request), query_code=case.query_code
    ):
        return reverse("citizens:case", args=[case.query_code])
    return f"{reverse('track')}?code={case.query_code}"


@require_POST
def material(request: HttpRequest) -> HttpResponse:
    """补充材料 from the tracking page: a note and/or files; on error the note is kept."""
    query_code = request.POST.get("query_code", "")
    found = _petitioner_case(request, query_code)
    if found is None:
        return track_render(request, {"query_code": query_code, "error": str(NOT_YOURS)}, 403)
    raws = [RawFile(f.name or "file", f.read()) for f in request.FILES.getlist("attachments")]
    try:
        files = check_files(raws)
        case_material_add(case=found, text=request.POST.get("material", ""), files=files)
    except FieldErrors as exc:
        return _material_error(request, found, _errors(exc))
    except ApplicationError as exc:
        return _material_error(request, found, {}, message=str(exc.message))
    messages.success(request, str(MATERIAL_ADDED))
    return redirect(f"{_case_url(request, found)}#material")


def _material_error(
    request: HttpRequest, found: Case, errors: dict[str, list[str]], *, message: str = ""
) -> HttpResponse:
    found.refresh_from_db()
    context = {
        "query_code": found.query_code,
        "view": track_view(case=found),
        "signed_in": bool(_signed_in(request)),
        "material_errors": errors,
        "posted": request.POST,
        "error": message,
    }
    return track_render(request, context, 400)


def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A petition's file, for staff who may read the case or the petitioner; 404 to anyone
    else (no hint that the file exists)."""
    item = _attachment_for(request, pk)
    if item is None:
        raise Http404
    inline = item.content_type in INLINE_TYPES
    response = FileResponse(
        item.file.open("rb"),
        content_type=item.content_type,
        as_attachment=not inline,
        filename=item.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Opened directly, a file must not run script or load anything with the site's origin.
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    )
    return response


def _attachment_for(request: HttpRequest, pk: int) -> Attachment | None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        staff_item = attachment_get_for_staff(user=user, attachment_id=pk)
        if staff_item is not None:
            # A petitioner's file may carry their identity: staff reads are audited (P-1(d)).
            audit_record(
                action=AuditAction.CASE_VIEW,
                actor=user,
                object_type="attachment",
                object_id=staff_item.pk,
                detail={"case": staff_item.case_id, "name": staff_item.original_name},
                ip=client_ip(request),
            )
            return staff_item
    item = Attachment.objects.select_related("case").filter(pk=pk).first()
    if item is None or _petitioner_case(request, item.case.query_code) is None:
        return None
    return item
