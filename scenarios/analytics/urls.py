"""The dashboards, mounted under /admin/analytics/ (bank_ai/urls.py) and wrapped in the admin's
login (`admin_view`)."""

from django.contrib.admin import site
from django.urls import path, re_path

from scenarios.analytics import views

urlpatterns = [
    path("", site.admin_view(views.dashboard), name="analytics-index"),
    path("<slug:page>/", site.admin_view(views.dashboard), name="analytics-page"),
    re_path(
        r"^(?P<page>[\w-]+)/export\.(?P<fmt>csv|xlsx)$",
        site.admin_view(views.export),
        name="analytics-export",
    ),
    path("<slug:page>/sessions/", site.admin_view(views.sessions), name="analytics-sessions"),
]
