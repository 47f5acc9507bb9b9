from django.urls import path

from devices.counter_views import counter_action, counter_page

urlpatterns = [
    path("branch/counter/", counter_page, name="counter-page"),
    path("branch/counter/<int:counter_id>/", counter_action, name="counter-action"),
]
