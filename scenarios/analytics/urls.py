"""The dashboards, mounted under /admin/analytics/ (bank_ai/urls.py) and wrapped in the admin's
login (`admin_view`)."""

from django.contrib.admin import site
from django.urls import path, re_path, register_converter

from scenarios.analytics import selectors, views


class DashboardPage:
    """A dashboard's code, and nothing else: the admin's own pages for this app's models share
    the prefix (/admin/analytics/dailyrollup/, the admin index's entry for the dashboards) and
    must fall through to the admin instead of being read as an unknown dashboard."""

    regex = r"[-\w]+"

    def to_python(self, value: str) -> str:
        if value not in selectors.page_codes():
            raise ValueError(value)
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(DashboardPage, "dashboard")

urlpatterns = [
    path("", site.admin_view(views.dashboard), name="analytics-index"),
    path("<dashboard:page>/", site.admin_view(views.dashboard), name="analytics-page"),
    re_path(
        r"^(?P<page>[\w-]+)/export\.(?P<fmt>csv|xlsx)$",
        site.admin_view(views.export),
        name="analytics-export",
    ),
    path("<dashboard:page>/sessions/", site.admin_view(views.sessions), name="analytics-sessions"),
]
