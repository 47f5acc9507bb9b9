from django.contrib.auth.views import LogoutView
from django.urls import path

from scenarios.views import StaffLoginView, agent_console

urlpatterns = [
    path("staff/login/", StaffLoginView.as_view(), name="staff-login"),
    path("staff/logout/", LogoutView.as_view(next_page="staff-login"), name="staff-logout"),
    path("agent/", agent_console, name="agent-console"),
]
