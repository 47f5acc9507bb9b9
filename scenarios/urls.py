from django.urls import path

from scenarios.views import agent_console

urlpatterns = [
    path("agent/", agent_console, name="agent-console"),
]
