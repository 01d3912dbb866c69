"""Forwarded headers believed only from trusted proxies; login lockout per client IP and per username."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import reverse

from surveys.proxy import TrustedProxyMiddleware, parse_networks, real_client
from tests import factories

PASSWORD = "a-long-test-password-123"


def _seen(settings_kwargs: dict, remote: str, **headers) -> dict:
    """What the views see of a request (REMOTE_ADDR, forwarded headers) after the middleware."""
    seen = {}

    def view(request):
        seen.update(request.META)
        return HttpResponse()

    with override_settings(**settings_kwargs):
        TrustedProxyMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))
    return seen


def test_without_a_proxy_forwarded_headers_are_dropped():
    meta = _seen({"BEHIND_PROXY": False}, "203.0.113.9", HTTP_X_FORWARDED_PROTO="https",
                 HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert meta["REMOTE_ADDR"] == "203.0.113.9"
    assert "HTTP_X_FORWARDED_PROTO" not in meta and "HTTP_X_FORWARDED_FOR" not in meta


def test_behind_a_proxy_headers_from_an_untrusted_address_are_dropped():
    meta = _seen({"BEHIND_PROXY": True, "TRUSTED_PROXIES": "10.0.0.0/8"}, "203.0.113.9",
                 HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert meta["REMOTE_ADDR"] == "203.0.113.9" and "HTTP_X_FORWARDED_PROTO" not in meta


def test_behind_a_trusted_proxy_the_real_client_replaces_the_proxy_address():
    meta = _seen({"BEHIND_PROXY": True, "TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.1"}, "10.1.2.3",
                 HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7, 192.168.1.1")
    assert meta["REMOTE_ADDR"] == "198.51.100.7"  # the left-most entry is the client's own claim
    assert meta["HTTP_X_FORWARDED_PROTO"] == "https"


@pytest.mark.parametrize(("forwarded", "expected"), [("", "10.0.0.5"), ("not-an-ip", "10.0.0.5"),
                                                     ("10.0.0.9", "10.0.0.5"), ("2001:db8::1", "2001:db8::1")])
def test_the_real_client_falls_back_to_the_proxy_on_odd_headers(forwarded, expected):
    assert real_client("10.0.0.5", forwarded, parse_networks("10.0.0.0/8")) == expected


def test_behind_proxy_is_off_by_default(settings):
    assert settings.BEHIND_PROXY is False
    assert settings.MIDDLEWARE[0] == "surveys.proxy.TrustedProxyMiddleware"


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_does_not_escape_the_rate_limit(client, settings):
    settings.RATE_LIMIT_TOKEN = 3
    codes = [client.get(reverse("surveys:resume_code", args=[f"code{i}"]),
                        HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(5)]
    assert codes[:3] == [404, 404, 404] and codes[3:] == [429, 429]


@pytest.mark.django_db
def test_one_address_trying_many_usernames_is_locked_out(client):
    factories.staff_user("victim", "analysts")
    for i in range(5):
        client.post(reverse("login"), {"username": f"user{i}", "password": "wrong"}, REMOTE_ADDR="203.0.113.5")
    resp = client.post(reverse("login"), {"username": "victim", "password": PASSWORD}, REMOTE_ADDR="203.0.113.5")
    assert resp.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    other = client.post(reverse("login"), {"username": "victim", "password": PASSWORD}, REMOTE_ADDR="203.0.113.77")
    assert other.status_code == 302  # another address is not locked out by this one


@pytest.mark.django_db
def test_one_username_attacked_from_many_addresses_is_locked_out(client):
    factories.staff_user("target", "analysts")
    for i in range(5):
        client.post(reverse("login"), {"username": "target", "password": "wrong"}, REMOTE_ADDR=f"198.51.100.{i}")
    resp = client.post(reverse("login"), {"username": "target", "password": PASSWORD}, REMOTE_ADDR="198.51.100.200")
    assert resp.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
