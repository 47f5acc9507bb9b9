"""HTTP and websockets in one ASGI application, served by daphne."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bank_ai.settings")
# Django must be set up before anything imports models (consumers, middleware).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from bank_ai.ai.speech import recognizer_warm_up_in_background  # noqa: E402
from devices.middleware import OriginCheckMiddleware, WebsocketAuthMiddleware  # noqa: E402
from devices.routing import websocket_urlpatterns  # noqa: E402
from scenarios.routing import websocket_urlpatterns as agent_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginCheckMiddleware(
            WebsocketAuthMiddleware(URLRouter(websocket_urlpatterns + agent_urlpatterns))
        ),
    }
)

# Kiosks speak to a process as soon as it is up; the model loads while the sockets connect.
recognizer_warm_up_in_background()
