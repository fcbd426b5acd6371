"""The workbench as a JSON API for staff clients: queues, a case, and its actions.

Same selectors and the same action registry as the HTML pages, so the API accepts exactly what
the workbench accepts. Session authentication; staff whose role needs a second factor must
have given it.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, QueryDict
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.cases.models import Case
from xinfang.cases.selectors import case_get_for_user
from xinfang.core.errors import FieldErrors, Msg
from xinfang.handling.selectors import Queue, queue_cases, queue_filter, queues_for
from xinfang.orgs.selectors import staff_scope
from xinfang.signin.selectors import otp_pending
from xinfang.workbench.actions import (
    NOT_AVAILABLE,
    action_find,
    action_run,
    actions_available,
    context_for,
)
from xinfang.workbench.filters import QueueFilterForm

PAGE_SIZE = 50


class StaffVerified(permissions.BasePermission):
    """Signed in, and past the second factor where the policy asks for one."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and not otp_pending(user=user))


class CaseRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = Case
        fields = [
            "id",
            "item_number",
            "title",
            "status",
            "due_at",
            "due_state",
            "due_provisional",
            "received_at",
            "is_urgent",
            "is_supervised",
        ]


class CaseDetailSerializer(CaseRowSerializer):
    petition_type = serializers.CharField(source="petition_type.code")
    region = serializers.CharField(source="region.code")
    holder_org = serializers.CharField(source="holder_org.code", default=None)
    lead_org = serializers.CharField(source="lead_org.code", default=None)

    class Meta(CaseRowSerializer.Meta):
        fields = [
            *CaseRowSerializer.Meta.fields,
            "content",
            "channel",
            "petition_type",
            "region",
            "holder_org",
            "lead_org",
            "close_reason",
            "outcome",
        ]


def _case(request: Request, pk: int) -> Case:
    case = case_get_for_user(user=request.user, case_id=pk)
    if case is None:
        raise Http404
    return case


class QueueApi(APIView):
    permission_classes = [StaffVerified]

    @extend_schema(responses=CaseRowSerializer(many=True))
    def get(self, request: Request, name: str) -> Response:
        scope = staff_scope(user=request.user)
        try:
            which = Queue(name)
        except ValueError:
            raise Http404 from None
        if which not in queues_for(scope=scope):
            raise Http404
        form = QueueFilterForm(request.query_params or None)
        if form.is_bound and not form.is_valid():
            raise FieldErrors({k: [Msg(str(v[0]), str(v[0]))] for k, v in form.errors.items()})
        qs = queue_filter(qs=queue_cases(scope=scope, queue=which), f=form.to_filter())
        rows = qs[:PAGE_SIZE]
        return Response({"results": CaseRowSerializer(rows, many=True).data})


class CaseApi(APIView):
    permission_classes = [StaffVerified]

    @extend_schema(responses=CaseDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        case = _case(request, pk)
        ctx = context_for(case=case, user=request.user, scope=staff_scope(user=request.user))  # type: ignore[arg-type]
        body = dict(CaseDetailSerializer(case).data)
        body["actions"] = [a.name for a in actions_available(ctx=ctx)]
        return Response(body)


class CaseActionApi(APIView):
    permission_classes = [StaffVerified]

    @extend_schema(request=dict[str, Any], responses=CaseDetailSerializer)
    def post(self, request: Request, pk: int, name: str) -> Response:
        case = _case(request, pk)
        ctx = context_for(case=case, user=request.user, scope=staff_scope(user=request.user))  # type: ignore[arg-type]
        action = action_find(ctx, name)
        if action is None:
            return Response(
                {"detail": NOT_AVAILABLE.as_dict(), "code": "not_available"}, status=403
            )
        data = QueryDict(mutable=True)
        body = request.data if isinstance(request.data, dict) else {}
        # Form fields read text, as from an HTML form: a JSON number or true becomes "5", "True".
        for key, value in body.items():
            values = value if isinstance(value, list) else [value]
            data.setlist(key, ["" if v is None else str(v) for v in values])
        form, error = action_run(action, ctx, data)
        if error is not None:
            raise error
        if form is not None:
            errors = {k: [Msg(str(m), str(m)) for m in v] for k, v in form.errors.items()}
            raise FieldErrors(errors)
        case.refresh_from_db()
        return Response(CaseDetailSerializer(case).data)
