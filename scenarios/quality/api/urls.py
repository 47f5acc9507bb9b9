from django.urls import path

from scenarios.quality.api.views import (
    InspectionDetailView,
    InspectionListView,
    InspectionReviewView,
    ScorecardListView,
)

urlpatterns = [
    path("quality/inspections/", InspectionListView.as_view(), name="api-quality-inspections"),
    path(
        "quality/inspections/<int:pk>/",
        InspectionDetailView.as_view(),
        name="api-quality-inspection",
    ),
    path(
        "quality/inspections/<int:pk>/reviews/",
        InspectionReviewView.as_view(),
        name="api-quality-inspection-reviews",
    ),
    path("quality/scorecards/", ScorecardListView.as_view(), name="api-quality-scorecards"),
]
