"""The hot-issues page (热点问题): the latest refresh's clusters the user has cases in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xinfang.signin.decorators import staff_login_required
from xinfang.triage.hotwatch import hot_issues_for_user


@require_GET
@staff_login_required
def hot(request: HttpRequest) -> HttpResponse:
    issues = hot_issues_for_user(user=request.user)
    return render(request, "workbench/hot.html", {"issues": issues})
