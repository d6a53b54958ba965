"""Config checks for what comes over the network: places ptzmapd listens on or connects to
(``host:port``, :class:`HostPort`), sender networks (:class:`Networks`, CIDR), the rule that a
listener beyond loopback names the networks it obeys (:func:`open_listener_problem`), and the
OSC address a binding names (:class:`OscAddress`).

Used by the OSC input (``listen:``, ``allow:``, a binding's ``address:``) and by
``mqtt.broker``; the values are the model's :class:`~ptzmapd.config.model.NetLink` and
:mod:`ipaddress` networks.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ptzmapd.config.checks import Invalid, Scope, Text, show
from ptzmapd.config.model import NetLink
from ptzmapd.config.yamlmarks import Node, ScalarNode, SequenceNode

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class HostPort:
    """``host:port`` (``[::1]:9000`` for an IPv6 literal). Without ``default_port`` the port
    is required; with it, ``host`` alone takes it (an MQTT broker's 1883)."""

    default_port: int | None = None

    def __call__(self, node: Node, scope: Scope) -> NetLink:
        text = Text()(node, scope)
        form = "host:port" if self.default_port is None else f"host or host:port (port {self.default_port} if left out)"
        host, port_text = _split(text)
        if port_text is None:
            if self.default_port is None:
                raise Invalid(f"expected {form}, got {text!r}")
            port_text = str(self.default_port)
        if not host or any(c.isspace() for c in host):
            raise Invalid(f"expected {form}, got {text!r}")
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise Invalid(f"port {port_text!r} is out of range (valid: 1..65535) in {text!r}")
        return NetLink(host, int(port_text))


def _split(text: str) -> tuple[str, str | None]:
    """``host:port`` → (host, port); an IPv6 literal needs brackets when a port follows."""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return "", None
        return host, rest[1:] if rest else None
    if text.count(":") > 1:  # a bare IPv6 address: no port
        return text, None
    host, colon, port = text.partition(":")
    return host, port if colon else None


@dataclass(frozen=True, slots=True)
class Networks:
    """``allow: [192.168.1.0/24, 10.0.0.7]``: sender networks (CIDR; an address alone is one
    host). A list of at least one; kept as :mod:`ipaddress` networks."""

    def __call__(self, node: Node, scope: Scope) -> tuple[Network, ...]:
        items = node.value if isinstance(node, SequenceNode) else [node] if isinstance(node, ScalarNode) else None
        if not items:
            raise Invalid(f"expected a list of networks (CIDR, e.g. [192.168.1.0/24]), got {show(node)}")
        networks = []
        for item in items:
            text = str(item.value).strip() if isinstance(item, ScalarNode) and item.value is not None else ""
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                raise Invalid(f"expected a network in CIDR form (e.g. 192.168.1.0/24), got {show(item)}") from None
        return tuple(networks)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``): nothing beyond this machine
    can reach a socket bound there."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name (or 0.0.0.0-like wildcard): it may be reachable from anywhere


def open_listener_problem(what: str, link: NetLink, networks: tuple[Network, ...] | None) -> str | None:
    """Why a listener (``what``: "an osc input") on ``link`` may not start, or None: off
    loopback it must name the sender networks it obeys."""
    if is_loopback(link.host) or networks:
        return None
    return (f"{what} listening on {link.host}:{link.port} (beyond this machine) needs 'allow: [CIDR, …]', "
            "the sender networks it obeys, e.g. allow: [192.168.1.0/24]")


#: Characters OSC 1.0 reserves for address patterns: never part of a method's address.
_OSC_PATTERN_CHARACTERS = frozenset(" #*,?[]{}")


@dataclass(frozen=True, slots=True)
class OscAddress:
    """An OSC address as a sender sends it (``/1/fader1``): starts with ``/``, no spaces and
    none of the pattern characters ``#*,?[]{}`` (OSC 1.0, "OSC Address Patterns")."""

    def __call__(self, node: Node, scope: Scope) -> str:
        text = Text()(node, scope)
        bad = sorted(set(text) & _OSC_PATTERN_CHARACTERS)
        if not text.startswith("/") or bad or any(c.isspace() for c in text):
            why = f" ({bad[0]!r} is not allowed in an address)" if bad else ""
            raise Invalid(f"expected an OSC address such as /1/fader1, got {text!r}{why}")
        return text
