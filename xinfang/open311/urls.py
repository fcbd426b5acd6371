"""URLs of xinfang.open311 (mounted at /open311/v2/ in config/urls.py).

Every resource ends in .xml or .json, as the standard asks; any other extension is answered
with a 404 in the standard's error format.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, re_path

from xinfang.open311 import views

app_name = "open311"

_FMT = r"\.(?P<fmt>[a-z0-9]+)$"

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^discovery" + _FMT, views.discovery, name="discovery"),
    re_path(r"^services" + _FMT, views.services, name="services"),
    re_path(r"^services/(?P<code>[^/]+?)" + _FMT, views.service_definition, name="service"),
    re_path(r"^requests" + _FMT, views.service_requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]+?)" + _FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + _FMT, views.token, name="token"),
]
