"""GET /api/v1/regions — the region picker's data (children of a division)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.orgs.models import Region
from xinfang.orgs.selectors import region_children


class RegionListApi(APIView):
    authentication_classes: list[Any] = []

    class OutputSerializer(serializers.Serializer):
        code = serializers.CharField()
        name = serializers.CharField()
        level = serializers.IntegerField()
        has_children = serializers.BooleanField()

    @extend_schema(
        operation_id="region_list",
        summary="Regions under a division 行政区划",
        parameters=[OpenApiParameter("parent", str, OpenApiParameter.QUERY, required=False)],
        responses={200: OutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        regions = region_children(parent_code=request.query_params.get("parent") or None)
        rows = regions.annotate(
            has_children=Exists(Region.objects.filter(parent=OuterRef("pk")))
        ).values("code", "name", "level", "has_children")
        return Response(self.OutputSerializer(list(rows), many=True).data)
