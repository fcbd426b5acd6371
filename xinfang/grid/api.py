"""The grid systems' JSON API (/api/grid/v1/): events in, verification tasks out and back.

Authenticated by a per-system bearer token (and an HMAC signature where the system's record
asks for one, see xinfang.grid.auth). Errors use the project's one format (core.api).
"""

from __future__ import annotations

import base64
import binascii
import re
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail, NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.core.errors import FieldErrors
from xinfang.grid import messages as m
from xinfang.grid.auth import GridTokenAuthentication, IsGridSystem
from xinfang.grid.models import GridSystem, VerificationTask
from xinfang.grid.selectors import TASK_PAGE_MAX, task_get_for_system, task_list_for_system
from xinfang.grid.services import (
    GridEventData,
    TaskResultData,
    WorkerData,
    grid_event_submit,
    grid_workers_sync,
    verification_task_result,
)
from xinfang.intake import messages as intake_messages
from xinfang.intake.validation import PersonInput, RawFile, field_failure, flatten_errors

_EVENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

ERROR = inline_serializer(
    "GridError",
    {
        "detail": serializers.DictField(child=serializers.CharField()),
        "code": serializers.CharField(),
        "errors": serializers.DictField(required=False),
    },
)


class StrictSerializer(serializers.Serializer):
    """Unknown fields are errors: a misspelt field must not silently drop data."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors = {k: [ErrorDetail("unknown", code="unknown_field")] for k in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"_": exc.detail}
            raise serializers.ValidationError({**errors, **detail}) from exc
        if errors:
            raise serializers.ValidationError(errors)
        return value


class GridPhotoInput(StrictSerializer):
    url = serializers.URLField(required=False, max_length=500)
    filename = serializers.CharField(required=False, max_length=200, default="photo")
    content_base64 = serializers.CharField(required=False)

    def validate_url(self, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise field_failure(m.PHOTO_URL)
        return value

    def validate_content_base64(self, value: str) -> bytes:
        return _b64(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("url" in attrs) == ("content_base64" in attrs):
            raise field_failure(m.PHOTO_ONE_OF)
        if "content_base64" in attrs:
            attrs["raw"] = RawFile(attrs["filename"], attrs.pop("content_base64"))
        return attrs


def _b64(text: str) -> bytes:
    """Plain base64, or a data: URL as browsers and phones produce them."""
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise field_failure(intake_messages.FILE_BASE64) from exc


def _photos(items: list[dict[str, Any]]) -> tuple[list[str], list[RawFile]]:
    urls = [p["url"] for p in items if "url" in p]
    return urls, [p["raw"] for p in items if "raw" in p]


class GridReporterInput(StrictSerializer):
    id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=64)
    phone = serializers.CharField(max_length=20)

    validate_phone = PersonInput.validate_phone


class GridPlaceInput(StrictSerializer):
    region_code = serializers.CharField(max_length=12)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    latitude = serializers.FloatField(min_value=-90, max_value=90, required=False)
    longitude = serializers.FloatField(min_value=-180, max_value=180, required=False)


class GridResidentInput(StrictSerializer):
    name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")

    validate_phone = PersonInput.validate_phone


class GridEventInput(StrictSerializer):
    event_id = serializers.CharField(max_length=64, help_text="Unique within the grid system.")
    grid_code = serializers.CharField(max_length=32, help_text="网格编码")
    reporter = GridReporterInput(help_text="The grid worker who reports (上报网格员).")
    place = GridPlaceInput()
    category = serializers.CharField(max_length=64, help_text="The grid system's category text.")
    description = serializers.CharField(min_length=10, max_length=4000)
    occurred_at = serializers.DateTimeField()
    photos = GridPhotoInput(  # type: ignore[call-arg]  # ListSerializer takes max_length
        many=True, required=False, max_length=20
    )
    title = serializers.CharField(min_length=4, max_length=100, required=False)
    petition_type = serializers.CharField(max_length=32, required=False, default="appeal")
    category_code = serializers.CharField(max_length=6, required=False, allow_blank=True)
    petitioner = GridResidentInput(
        required=False, help_text="The resident concerned, if any; else the reporter."
    )

    def validate_event_id(self, value: str) -> str:
        if not _EVENT_ID.match(value):
            raise field_failure(m.EVENT_ID)
        return value


class GridTaskResultInput(StrictSerializer):
    result = serializers.CharField(min_length=1, max_length=4000)
    verified_at = serializers.DateTimeField(required=False)
    photos = GridPhotoInput(  # type: ignore[call-arg]  # ListSerializer takes max_length
        many=True, required=False, max_length=20
    )


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise FieldErrors(flatten_errors(serializer.errors, serializer))
    return dict(serializer.validated_data)


def _coordinate(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 6)))


def _event_data(d: dict[str, Any]) -> GridEventData:
    place, reporter = d["place"], d["reporter"]
    resident = d.get("petitioner") or {}
    urls, raws = _photos(d.get("photos", []))
    return GridEventData(
        event_id=d["event_id"],
        grid_code=d["grid_code"].strip(),
        reporter_id=reporter["id"].strip(),
        reporter_name=reporter["name"].strip(),
        reporter_phone=reporter["phone"],
        region_code=place["region_code"].strip(),
        address=place["address"].strip(),
        latitude=_coordinate(place.get("latitude")),
        longitude=_coordinate(place.get("longitude")),
        category=d["category"].strip(),
        description=d["description"].strip(),
        occurred_at=d["occurred_at"],
        title=d.get("title", "").strip(),
        petition_type=d["petition_type"].strip(),
        category_code=d.get("category_code", "").strip(),
        petitioner_name=resident.get("name", "").strip(),
        petitioner_phone=resident.get("phone", ""),
        photo_urls=urls,
        photos=raws,
    )


class GridApi(APIView):
    authentication_classes = [GridTokenAuthentication]
    permission_classes = [IsGridSystem]

    def system(self, request: Request) -> GridSystem:
        assert isinstance(request.auth, GridSystem)  # noqa: S101  # IsGridSystem checked it
        return request.auth


class GridEventReceipt(serializers.Serializer):
    event_id = serializers.CharField()
    item_number = serializers.CharField()
    query_code = serializers.CharField()
    status = serializers.CharField()
    received_at = serializers.DateTimeField()


class EventCreateApi(GridApi):
    OutputSerializer = GridEventReceipt

    @extend_schema(
        operation_id="grid_event_create",
        summary="Report a grid event 上报网格事件",
        description=(
            "The event becomes one petition (channel grid). Posting the same event_id again "
            "answers 200 with the same petition; the same id with a different body is 409."
        ),
        request=GridEventInput,
        responses={
            201: OutputSerializer,
            200: OutputSerializer,
            400: ERROR,
            401: ERROR,
            409: ERROR,
        },
        tags=["grid"],
    )
    def post(self, request: Request) -> Response:
        event = _event_data(_valid(GridEventInput, request.data))
        receipt = grid_event_submit(system=self.system(request), event=event)
        case = receipt.case
        body = {
            "event_id": event.event_id,
            "item_number": case.item_number,
            "query_code": case.query_code,
            "status": case.status,
            "received_at": case.received_at,
        }
        code = status.HTTP_201_CREATED if receipt.created else status.HTTP_200_OK
        return Response(self.OutputSerializer(body).data, status=code)


class GridTask(serializers.Serializer):
    """What the grid worker needs to go and look: the place and staff's question. Nothing the
    petitioner wrote (not even the title) leaves the system, since the grid may be run by the
    unit complained about."""

    id = serializers.IntegerField()
    item_number = serializers.CharField(source="case.item_number")
    region_code = serializers.CharField(source="case.region.code")
    region_name = serializers.CharField(source="case.region.full_name")
    address = serializers.SerializerMethodField()
    grid_code = serializers.CharField(source="worker.grid_code")
    worker_id = serializers.CharField(source="worker.external_id")
    worker_name = serializers.CharField(source="worker.name")
    question = serializers.CharField()
    due_at = serializers.DateTimeField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_address(self, task: VerificationTask) -> str:
        event = getattr(task.case, "grid_event", None)
        return event.address if event is not None else ""


class GridTaskPage(serializers.Serializer):
    tasks = GridTask(many=True)
    next_since = serializers.DateTimeField(allow_null=True)


class TaskListApi(GridApi):
    OutputSerializer = GridTaskPage

    @extend_schema(
        operation_id="grid_task_list",
        summary="Pull verification tasks 拉取核查任务",
        description=(
            "Without `since`: the open tasks. With `since`: every task changed at or after "
            "it (open, done or cancelled), oldest change first; pass `next_since` back to "
            "page on. Tasks may repeat across pages; they are identified by id."
        ),
        parameters=[
            OpenApiParameter("since", str, description="ISO 8601 date-time"),
            OpenApiParameter("grid_code", str, description="Only this grid (网格编码)"),
            OpenApiParameter("limit", int, description=f"At most {TASK_PAGE_MAX}"),
        ],
        responses={200: OutputSerializer, 400: ERROR, 401: ERROR},
        tags=["grid"],
    )
    def get(self, request: Request) -> Response:
        params = _valid(_TaskQuery, request.query_params.dict())
        tasks = task_list_for_system(
            system=self.system(request),
            since=params.get("since"),
            grid_code=params.get("grid_code", ""),
            limit=params.get("limit", TASK_PAGE_MAX),
        )
        next_since = tasks[-1].updated_at if tasks else params.get("since")
        body = {"tasks": tasks, "next_since": next_since}
        return Response(self.OutputSerializer(body).data)


class _TaskQuery(StrictSerializer):
    since = serializers.DateTimeField(required=False)
    grid_code = serializers.CharField(max_length=32, required=False)
    limit = serializers.IntegerField(min_value=1, max_value=TASK_PAGE_MAX, required=False)


class GridTaskResultReceipt(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    verified_at = serializers.DateTimeField()


class TaskResultApi(GridApi):
    OutputSerializer = GridTaskResultReceipt

    @extend_schema(
        operation_id="grid_task_result",
        summary="Post a verification result 回传核查结果",
        description=(
            "Recorded once on the petition's log (201). The same result again answers 200; "
            "a different one, or one for a cancelled task, 409. Another system's task is 404."
        ),
        request=GridTaskResultInput,
        responses={
            201: OutputSerializer,
            200: OutputSerializer,
            400: ERROR,
            404: ERROR,
            409: ERROR,
        },
        tags=["grid"],
    )
    def post(self, request: Request, pk: int) -> Response:
        task = task_get_for_system(system=self.system(request), task_id=pk)
        if task is None:
            raise NotFound
        d = _valid(GridTaskResultInput, request.data)
        urls, raws = _photos(d.get("photos", []))
        data = TaskResultData(
            result=d["result"].strip(),
            verified_at=d.get("verified_at"),
            photo_urls=urls,
            photos=raws,
        )
        task, recorded = verification_task_result(task=task, data=data)
        code = status.HTTP_201_CREATED if recorded else status.HTTP_200_OK
        return Response(self.OutputSerializer(task).data, status=code)


class GridWorkerInput(StrictSerializer):
    id = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=64)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    grid_code = serializers.CharField(max_length=32)
    region_code = serializers.CharField(max_length=12)
    active = serializers.BooleanField(default=True)

    validate_phone = GridReporterInput.validate_phone


class GridWorkerRoster(StrictSerializer):
    workers = GridWorkerInput(  # type: ignore[call-arg]  # ListSerializer takes max_length
        many=True, max_length=1000
    )


class GridWorkerSyncReceipt(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class WorkerSyncApi(GridApi):
    @extend_schema(
        operation_id="grid_worker_sync",
        summary="Update the roster of grid workers 同步网格员",
        description=(
            "Creates or updates the listed workers (by id), all or none. Workers who left are "
            "sent with active false. Reporters of events are added automatically too."
        ),
        request=GridWorkerRoster,
        responses={200: GridWorkerSyncReceipt, 400: ERROR, 401: ERROR},
        tags=["grid"],
    )
    def post(self, request: Request) -> Response:
        rows = _valid(GridWorkerRoster, request.data)["workers"]
        workers = [
            WorkerData(
                external_id=w["id"].strip(),
                name=w["name"].strip(),
                grid_code=w["grid_code"].strip(),
                region_code=w["region_code"].strip(),
                phone=w["phone"],
                is_active=w["active"],
            )
            for w in rows
        ]
        created, updated = grid_workers_sync(system=self.system(request), workers=workers)
        return Response(GridWorkerSyncReceipt({"created": created, "updated": updated}).data)
