"""POST /api/v1/petitions — the JSON channel (apps, partner systems)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.cases.models import Channel
from xinfang.core.errors import FieldErrors, Msg
from xinfang.intake.services import petition_submit
from xinfang.intake.validation import PetitionInput

_ERROR = inline_serializer(
    "Error",
    {
        "detail": serializers.DictField(child=serializers.CharField()),
        "code": serializers.CharField(),
        "errors": serializers.DictField(required=False),
    },
)


class PetitionCreateApi(APIView):
    authentication_classes: list[Any] = []  # public channel; CSRF does not apply to JSON clients

    class OutputSerializer(serializers.Serializer):
        item_number = serializers.CharField()
        query_code = serializers.CharField()
        status = serializers.CharField()
        received_at = serializers.DateTimeField()
        tracking_secret = serializers.CharField(
            required=False, help_text="Only for anonymous petitions, only in the 201 answer."
        )

    @extend_schema(
        operation_id="petition_create",
        summary="Submit a petition 提交信访",
        request=PetitionInput,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Same key → same petition (200 instead of 201).",
            )
        ],
        responses={
            201: OutputSerializer,
            200: OutputSerializer,
            400: _ERROR,
            409: _ERROR,
            503: _ERROR,
        },
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise FieldErrors(
                {"_": [Msg("请求体应为 JSON 对象。", "The body must be a JSON object.")]}
            )
        receipt = petition_submit(
            channel=Channel.API,
            data=request.data,
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        case = receipt.case
        body: dict[str, Any] = {
            "item_number": case.item_number,
            "query_code": case.query_code,
            "status": case.status,
            "received_at": case.received_at,
        }
        if receipt.secret:
            body["tracking_secret"] = receipt.secret
        code = status.HTTP_201_CREATED if receipt.created else status.HTTP_200_OK
        return Response(self.OutputSerializer(body).data, status=code)
