"""Values every page needs: the service's name for the header, and the staff links."""

from django.conf import settings
from django.http import HttpRequest


def service(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {
        "SERVICE_NAME": settings.SERVICE_NAME,
        "SERVICE_OWNER": settings.SERVICE_OWNER,
        "SERVICE_IS_STATE": settings.SERVICE_IS_STATE,
        "is_analyst": bool(user and user.is_authenticated and (
            user.is_superuser or user.groups.filter(name__in=["analysts", "designers"]).exists())),
    }
