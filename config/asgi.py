"""ASGI entry point: HTTP through Django, websockets through Channels.

daphne imports this module; the preflight stops startup with one line when a setting
or a service is wrong (daphne runs no system checks of its own).
"""

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402
from django.conf import settings  # noqa: E402

from config import logs, metrics, preflight  # noqa: E402
from config.origin import SameOriginValidator  # noqa: E402
from coordination.routing import websocket_urlpatterns  # noqa: E402

# The event loop is busy with thousands of sockets while a few threads make the
# database trips of sockets that open (coordination/consumers.py): with Python's
# default 5 ms switch interval each of their round trips waits up to 5 ms for the
# interpreter lock after every I/O, and a reconnect storm crawls. A shorter interval
# lets them in sooner, at a small cost to the loop.
sys.setswitchinterval(float(os.environ.get("KITH_SWITCH_INTERVAL", "0.0005")))

if os.environ.get("KITH_SKIP_PREFLIGHT") != "1":
    preflight.run()

http_app = django_asgi_app
if settings.SERVE_STATIC:
    # Development only: production serves /static/ from the proxy (docker-compose.yml).
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    http_app = ASGIStaticFilesHandler(django_asgi_app)

application = ProtocolTypeRouter(
    {
        "http": http_app,
        # The session only: the live consumer finds the user itself, on a worker
        # thread together with what they may read (coordination/consumers.py).
        # Handshakes from Kith's own origin only (scheme, host and port).
        "websocket": SameOriginValidator(SessionMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
# Outermost: a request id for every request and socket, before anything logs.
application = logs.with_request_ids(application)

# This process's metrics on a port of its own, when KITH_METRICS_TOKEN is set.
metrics.serve_from_settings()
