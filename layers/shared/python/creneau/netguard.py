"""Outbound requests to addresses a tenant gives (webhooks): https to public addresses only.

Checked on the addresses the name resolves to (a public name may point at 127.0.0.1 or at the cloud's
metadata service), and the request then goes to exactly the address that was checked, so a second
resolution cannot swap it. WEBHOOKS_ALLOW_PRIVATE=1 lifts both rules for local development.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class AddressRefused(ValueError):
    """Why a URL may not be called, in words a person can act on."""


def private_allowed() -> bool:
    from creneau import config

    return config.settings().webhooks_allow_private


def _port(parts) -> int:
    try:
        port = parts.port
    except ValueError as exc:
        raise AddressRefused("the URL's port is not a number between 0 and 65535") from exc
    return port or (443 if parts.scheme == "https" else 80)


def resolve_checked(url: str, allow_private: bool | None = None) -> list[str]:
    """The addresses `url` may be called at; raises AddressRefused otherwise."""
    allow = private_allowed() if allow_private is None else allow_private
    parts = urlsplit(url)
    allowed_schemes = ("https", "http") if allow else ("https",)
    if parts.scheme not in allowed_schemes:
        raise AddressRefused("only https URLs are allowed")
    if not parts.hostname:
        raise AddressRefused("the URL has no host name")
    if parts.username or parts.password:
        raise AddressRefused("the URL must not carry a user name or password")
    port = _port(parts)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"the host name {parts.hostname} does not resolve") from exc
    addresses = sorted({info[4][0] for info in infos})
    if not allow:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not ip.is_global or ip.is_multicast:
                raise AddressRefused(
                    f"{parts.hostname} resolves to {address}, a loopback, private, link-local or reserved "
                    "address; webhooks go to public addresses only"
                )
    return addresses


def pinned(url: str, address: str) -> tuple[str, str, str]:
    """(the URL with its host replaced by `address`, the Host header, the TLS server name)."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=netloc).geturl(), host_header, parts.hostname
