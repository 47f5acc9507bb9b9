from django.urls import path

from devices.consumers import AvatarConsumer

websocket_urlpatterns = [
    path("ws/avatar/", AvatarConsumer.as_asgi()),
]
