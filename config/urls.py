from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from common import views as common_views

from .api import api

handler500 = common_views.server_error

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="orgs:tree", permanent=False)),
    path("health/live", common_views.live, name="health_live"),
    path("health/ready", common_views.ready, name="health_ready"),
    path("metrics", common_views.metrics, name="metrics"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("orgs/", include("orgs.urls")),
    path("catalogs/", include("catalogs.urls")),
    path("people/", include("people.urls")),
    path("approvals/", include("approvals.urls")),
    path("movements/", include("movements.urls")),
    path("compliance/", include("compliance.urls")),
    path("inspections/", include("inspections.urls")),
    path("problems/", include("problems.urls")),
    path("reports/", include("reports.urls")),
    path("exchange/", include("exchange.urls")),
    path("audit/", include("audit.urls")),
    path("imports/", include("imports.urls")),
    path("backups/", include("backups.urls")),
    path("api/v1/", api.urls),
]
