from django.urls import path

from devices.api.views import WhoAmIView

urlpatterns = [
    path("whoami/", WhoAmIView.as_view(), name="api-whoami"),
]
