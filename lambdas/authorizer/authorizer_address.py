"""The caller's source address against ``ALLOW_IP_RANGES`` and ``DENY_IP_RANGES``.

One check for every event that carries an address: the WebSocket ``$connect`` REQUEST event
(``requestContext.identity.sourceIp``) and the HTTP API's payload 2.0 REQUEST event
(``requestContext.http.sourceIp``).
"""

from __future__ import annotations

import ipaddress

from authorizer_config import ConnectConfig
from authorizer_memo import remember


def _address(source_ip: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if source_ip is None:
        return None
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:203.0.113.5 is 203.0.113.5 to an allow or deny list
    return address


def _refusal(config: ConnectConfig, source_ip: str | None) -> str | None:
    address = _address(source_ip)
    if address is None:
        return "source_ip_unknown"
    if any(address in network for network in config.deny_ip_ranges):
        return "source_ip_denied"
    if config.allow_ip_ranges is not None and not any(address in n for n in config.allow_ip_ranges):
        return "source_ip_not_allowed"
    return None


MAX_REMEMBERED_ADDRESSES = 1024
# The decisions of one configuration's lists by address text (a pure function of both), kept while
# that (immutable) configuration object is the one asked about.
_remembered_for: list[ConnectConfig] = []
_remembered: dict[str | None, str | None] = {}


def address_refusal(config: ConnectConfig, source_ip: str | None) -> str | None:
    """Why ``source_ip`` may not call (a short loggable code), or None when the lists allow it."""
    if config.allow_ip_ranges is None and not config.deny_ip_ranges:
        return None
    if not _remembered_for or _remembered_for[0] is not config:
        _remembered.clear()
        _remembered_for[:] = [config]
    try:
        return _remembered[source_ip]
    except KeyError:
        pass
    return remember(_remembered, source_ip, _refusal(config, source_ip), MAX_REMEMBERED_ADDRESSES)
