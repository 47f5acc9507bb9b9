"""Every app's DRF routes under /api/."""

from django.urls import include, path

urlpatterns = [
    path("", include("devices.api.urls")),
    path("", include("scenarios.api.urls")),
    path("", include("scenarios.quality.api.urls")),
    path("", include("scenarios.agentrouting.api")),
    path("", include("scenarios.outbound.api")),
    path("", include("staff_assistant.api.urls")),
    path("", include("content.studio.api.urls")),
    path("", include("content.needs.api")),
    path("", include("scenarios.analytics.api.urls")),
]
