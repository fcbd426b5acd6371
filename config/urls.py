from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from xinfang.core.views import healthz
from xinfang.intake import views as intake_views
from xinfang.intake.api import PetitionCreateApi
from xinfang.orgs.api import RegionListApi
from xinfang.tracking import views as tracking_views
from xinfang.tracking.api import TrackApi
from xinfang.workbench import api as wb_api

admin.site.site_header = "阳光信访 · 工作台"
admin.site.site_title = "阳光信访"
admin.site.index_title = "管理"

api_v1 = [
    path("petitions", PetitionCreateApi.as_view(), name="petition-create"),
    path("track/<str:query_code>", TrackApi.as_view(), name="track"),
    path("regions", RegionListApi.as_view(), name="region-list"),
    path("staff/queues/<str:name>", wb_api.QueueApi.as_view(), name="staff-queue"),
    path("staff/cases/<int:pk>", wb_api.CaseApi.as_view(), name="staff-case"),
    path(
        "staff/cases/<int:pk>/actions/<str:name>",
        wb_api.CaseActionApi.as_view(),
        name="staff-case-action",
    ),
]

intake_urls = (
    [
        path("", intake_views.home, name="home"),
        path("submit/", intake_views.submit, name="submit"),
        path("submit/receipt/", intake_views.receipt, name="receipt"),
    ],
    "intake",
)

urlpatterns = [
    path("", include(intake_urls)),
    path("track/", tracking_views.track, name="track"),
    path("board/", include("xinfang.board.urls")),
    path("track/act/", tracking_views.track_act, name="track-act"),
    path("me/", include("xinfang.citizens.urls")),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/auth/", include("xinfang.signin.urls")),
    path("staff/board/", include("xinfang.board.staff_urls")),
    path("staff/notify/", include("xinfang.notify.urls")),
    path("staff/hotline/", include("xinfang.hotline.urls")),
    path("staff/analytics/", include("xinfang.analytics.urls")),
    path("wechat/", include("xinfang.wechat.urls")),
    path("open311/v2/", include("xinfang.open311.urls")),
    path("api/grid/v1/", include("xinfang.grid.urls")),
    path("proxy/", include("xinfang.grid.proxy_urls")),
    path("staff/grid/", include("xinfang.grid.staff_urls")),
    path("staff/", include("xinfang.workbench.urls")),
    path("staff/documents/", include("xinfang.documents.urls")),
    path("admin/", admin.site.urls),
]
# Uploaded files are never served from MEDIA_URL, not even in development: only through
# xinfang.citizens' download view, which checks who may read the case.
