from django.urls import path

from devices import views

app_name = "devices"

urlpatterns = [
    path("", views.device_list, name="index"),
    path("client/<slug:layout>/", views.client, name="client"),
    path("<slug:name>/console/", views.console, name="console"),
]
