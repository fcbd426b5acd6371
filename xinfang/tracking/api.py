"""GET /api/v1/track/{query_code}?verify=… — public progress for the petitioner."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.core.http import client_key
from xinfang.tracking.services import track_lookup


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status = serializers.CharField()
    zh = serializers.CharField(source="label_zh")
    en = serializers.CharField(source="label_en")


class MergedIntoSerializer(serializers.Serializer):
    item_number = serializers.CharField()
    status_zh = serializers.CharField()
    status_en = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)


class TrackApi(APIView):
    authentication_classes: list[Any] = []

    class OutputSerializer(serializers.Serializer):
        item_number = serializers.CharField(source="case.item_number")
        query_code = serializers.CharField(source="case.query_code")
        title = serializers.CharField(source="case.title")
        received_at = serializers.DateTimeField(source="case.received_at")
        status = serializers.CharField(source="case.status")
        status_zh = serializers.CharField()
        status_en = serializers.CharField()
        due_at = serializers.DateTimeField(source="case.due_at", allow_null=True)
        due_provisional = serializers.BooleanField(
            source="case.due_provisional",
            help_text="The deadline reaches a year whose official holiday schedule is not out yet.",
        )
        timeline = TimelineEntrySerializer(many=True)
        merged_into = MergedIntoSerializer(
            allow_null=True,
            help_text="并单: the item this petition is handled with, when it was merged.",
        )

    @extend_schema(
        operation_id="petition_track",
        summary="Track a petition 查询办理进度",
        parameters=[
            OpenApiParameter(
                "verify",
                str,
                OpenApiParameter.QUERY,
                required=True,
                description="Last four digits of the phone, or the receipt secret if anonymous.",
            )
        ],
        responses={200: OutputSerializer},
    )
    def get(self, request: Request, query_code: str) -> Response:
        view = track_lookup(
            query_code=query_code,
            factor=request.query_params.get("verify", ""),
            client=client_key(request),
        )
        return Response(self.OutputSerializer(view).data)
