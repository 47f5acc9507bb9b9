from django.urls import path

from devices.omni import views

app_name = "omni"

urlpatterns = [
    path("wechat/<slug:account>/", views.wechat_callback, name="wechat-callback"),
    path("webchat/frame/", views.webchat_frame, name="webchat-frame"),
    path("webchat/messages/", views.webchat_messages, name="webchat-messages"),
    path("webchat/updates/", views.webchat_updates, name="webchat-updates"),
    path("voice/callback/", views.voice_callback, name="voice-callback"),
]
