"""Who is asking: the client's address behind the group's reverse proxies.

Behind nginx, REMOTE_ADDR is the proxy's address: rate limits keyed on it lock a whole
care home out of sign-in at once. X-Forwarded-For says who the client is, but anyone can
send it. It is read only when the request comes from an address of TRUSTED_PROXIES, from
the right (each proxy appends the address it received from), and the first hop that is not
a trusted proxy is the client. The middleware writes the answer into REMOTE_ADDR and drops
the header, so that the sign-in rate limits (allauth), the access log and the change
history (django-auditlog) all read the same address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def _address(hop: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    hop = hop.strip()
    if hop.startswith("["):  # [2001:db8::1]:443
        hop = hop[1:].split("]", 1)[0]
    elif hop.count(":") == 1:  # 192.0.2.1:443
        hop = hop.split(":", 1)[0]
    try:
        return ipaddress.ip_address(hop)
    except ValueError:
        return None


def _trusted(address, trusted: Sequence[Network]) -> bool:
    return address is not None and any(address in net for net in trusted)


def in_networks(address: str, allowed: Sequence[Network]) -> bool:
    """Whether an address (REMOTE_ADDR, a hop) is in one of ``allowed``; a malformed one never is."""
    return _trusted(_address(address), allowed)


def client_address(remote_addr: str, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: REMOTE_ADDR, unless a trusted proxy sent the request on."""
    if not forwarded_for or not _trusted(_address(remote_addr), trusted):
        return remote_addr
    client = remote_addr
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:  # a malformed hop: what lies beyond it cannot be trusted
            return client
        client = str(address)
        if not _trusted(address, trusted):
            return client
    return client  # every hop is a proxy of ours: the first one is as far as we know


class TrustedProxyMiddleware:
    """First in the chain: REMOTE_ADDR becomes the client's address, X-Forwarded-For goes."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.trusted = networks(settings.TRUSTED_PROXIES)

    def __call__(self, request):
        forwarded_for = request.META.pop("HTTP_X_FORWARDED_FOR", None)
        request.META["REMOTE_ADDR"] = client_address(request.META.get("REMOTE_ADDR", ""), forwarded_for, self.trusted)
        return self.get_response(request)
