"""The real client address and scheme behind a reverse proxy, trusting forwarded headers only from it.

`BEHIND_PROXY` is off by default: then `X-Forwarded-For` and `X-Forwarded-Proto` are dropped from
every request, so a client cannot claim HTTPS (and skip the redirect) nor another address (and
escape the rate limits). When on, they are believed only on a request whose `REMOTE_ADDR` is one of
`TRUSTED_PROXIES` (addresses or networks, comma-separated); the client is then the right-most
forwarded address that is not itself a trusted proxy, and it replaces `REMOTE_ADDR`, so the rate
limits and the login lockout (django-axes) count each real client apart.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_FORWARDED")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str | Iterable[str]) -> list[Network]:
    """`"10.0.0.1, 192.168.0.0/16"` → networks (a bare address is a /32 or /128)."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    return [ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip()]


def _trusted(addr: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(addr.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


def real_client(remote_addr: str, forwarded_for: str, networks: list[Network]) -> str:
    """The client address: `remote_addr` unless it is a trusted proxy, then the right-most
    untrusted address of `X-Forwarded-For` (proxies append; the left part is the client's word)."""
    if not _trusted(remote_addr, networks):
        return remote_addr
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote_addr
    return remote_addr


class TrustedProxyMiddleware:
    """First middleware: rewrite REMOTE_ADDR from a trusted proxy, drop forwarded headers otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.enabled = bool(getattr(settings, "BEHIND_PROXY", False))
        self.networks = parse_networks(getattr(settings, "TRUSTED_PROXIES", ""))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        remote = meta.get("REMOTE_ADDR", "")
        if self.enabled and _trusted(remote, self.networks):
            meta["REMOTE_ADDR"] = real_client(remote, meta.get("HTTP_X_FORWARDED_FOR", ""), self.networks)
        else:
            for name in FORWARDED:
                meta.pop(name, None)
        return self.get_response(request)
