"""One error format for the whole API: {"detail", "code", "errors"?} with zh and en text."""

from __future__ import annotations

import logging
from typing import Any

from django.db import OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from xinfang.core.errors import ApplicationError, FieldErrors, Msg

logger = logging.getLogger(__name__)

_DRF_MESSAGES: dict[type[exceptions.APIException], Msg] = {
    exceptions.ParseError: Msg("请求体不是有效的 JSON。", "The request body is not valid JSON."),
    exceptions.UnsupportedMediaType: Msg(
        "不支持的内容类型，请使用 application/json。",
        "Unsupported content type; send application/json.",
    ),
    exceptions.NotFound: Msg("未找到。", "Not found."),
    exceptions.MethodNotAllowed: Msg("不允许的请求方法。", "Method not allowed."),
    exceptions.Throttled: Msg("请求过于频繁，请稍后再试。", "Too many requests; try again later."),
    exceptions.NotAuthenticated: Msg("需要登录。", "Authentication required."),
    exceptions.PermissionDenied: Msg("没有权限。", "Permission denied."),
}


def error_body(message: Msg, code: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": message.as_dict(), "code": code}
    if errors is not None:
        body["errors"] = errors
    return body


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, FieldErrors):
        return Response(error_body(exc.message, exc.code, exc.as_dict()), status=exc.http_status)
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.message, exc.code), status=exc.http_status)
    if isinstance(exc, OperationalError):
        # Database overloaded or locked: the transaction rolled back, so nothing was written
        # and the client may safely retry (with the same Idempotency-Key).
        logger.warning("database unavailable: %s", exc)
        return service_unavailable()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    message = _DRF_MESSAGES.get(type(exc))
    if message is None:
        text = str(exc.detail)
        message = Msg(text, text)
    response.data = error_body(message, exc.default_code)
    return response


def service_unavailable(retry_after: int = 5) -> Response:
    msg = Msg("系统繁忙，请稍后重试。", "Service busy; retry shortly.")
    response = Response(error_body(msg, "unavailable"), status=status.HTTP_503_SERVICE_UNAVAILABLE)
    response["Retry-After"] = str(retry_after)
    return response
