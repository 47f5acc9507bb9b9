"""The staff assistant's pages under /staff/."""

from django.urls import path

from staff_assistant import views

app_name = "staff_assistant"

urlpatterns = [
    path("", views.chat, name="chat"),
    path("c/<int:conversation_id>/", views.chat, name="conversation"),
    path("ask/", views.ask_stream, name="ask"),
    path("messages/<int:message_id>/feedback/", views.feedback, name="feedback"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", views.StaffLogoutView.as_view(), name="logout"),
]
