"""Where a call comes from: the peer's address, or, when the peer is a trusted gateway (ingress,
load balancer), the address the gateway saw, from `x-forwarded-for`.

Only the gateways listed in XUEJI_TRUSTED_PROXIES are believed: anyone can send the header, so
the hops are read from the right (the ones our gateways appended) and the first hop that is not a
trusted gateway is the client.
"""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(text: str, variable: str = "XUEJI_TRUSTED_PROXIES") -> tuple[Network, ...]:
    """ "10.0.0.0/8, 192.168.1.7" → networks; ValueError naming the variable and the entry."""
    networks = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{variable}: {entry!r} is not an IP address or network") from None
    return tuple(networks)


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(ip, networks: tuple[Network, ...]) -> bool:
    return ip is not None and any(ip.version == n.version and ip in n for n in networks)


def client_address(context, trusted: tuple[Network, ...] = ()) -> str:
    """ "ipv4:203.0.113.9" (no port): the peer, or the client behind a trusted gateway."""
    peer = context.peer()  # "ipv4:10.0.0.7:51234", "ipv6:[::1]:5000", "unix:..."
    kind, _, rest = peer.partition(":")
    if kind not in ("ipv4", "ipv6"):
        return peer
    host = rest.rpartition(":")[0]
    if not _trusted(_ip(host), trusted):
        return f"{kind}:{host.strip('[]')}"
    hops = [
        h
        for key, value in context.invocation_metadata()
        if key == "x-forwarded-for"
        for h in value.split(",")
    ]
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:
            break  # a gateway would not write this: keep the gateway's address
        if not _trusted(ip, trusted):
            return f"ipv{ip.version}:{ip}"
    return f"{kind}:{host.strip('[]')}"
