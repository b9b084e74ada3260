from django.db import connection
from django.http import HttpResponse


def healthz(request):
    """For the proxy's and the orchestrator's health checks: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
