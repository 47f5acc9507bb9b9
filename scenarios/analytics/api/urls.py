from django.urls import path

from scenarios.analytics.api import views

urlpatterns = [
    path("analytics/pages/", views.PageListView.as_view(), name="api-analytics-pages"),
    path(
        "analytics/pages/<slug:page>/",
        views.PageReportView.as_view(),
        name="api-analytics-page",
    ),
    path(
        "analytics/pages/<slug:page>/series/",
        views.PageSeriesView.as_view(),
        name="api-analytics-series",
    ),
]
