"""Config checks for the OSC input: sender networks (:class:`Networks`, CIDR), the rule that
a listener beyond loopback names the networks it obeys (:func:`open_listener_problem`), that
no two UDP listeners of a config (OSC, a TSL feed) share a port (:func:`shared_port_problems`), and the OSC
address a binding names (:class:`OscAddress`). Its ``listen:`` is read like every address
ptzmapd listens on (:class:`ptzmapd.config.api.Listen`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ptzmapd.config.checks import Invalid, Scope, Text, show
from ptzmapd.config.model import ApiConfig, InputConfig, Listener
from ptzmapd.config.yamlmarks import Node, Problem, ScalarNode, SequenceNode
from ptzmapd.transports.addresses import is_loopback

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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


def open_listener_problem(what: str, listener: Listener, networks: tuple[Network, ...] | None) -> str | None:
    """Why a listener (``what``: "an osc input") may not start, or None: off loopback it must
    name the sender networks it obeys."""
    if is_loopback(listener.host) or networks:
        return None
    return (f"{what} listening on {listener} (beyond this machine) needs 'allow: [CIDR, …]', "
            "the sender networks it obeys, e.g. allow: [192.168.1.0/24]")


def _overlap(one: str, other: str) -> bool:
    """Whether sockets bound to hosts ``one`` and ``other`` on one port would clash: the same
    address, or either on every address (``::`` takes IPv4 too, as Linux binds it by default;
    ``0.0.0.0`` every IPv4 address and name)."""
    if one == other or "::" in (one, other):
        return True
    return "0.0.0.0" in (one, other) and ":" not in one + other


def osc_listeners(inputs: Mapping[str, InputConfig], api: ApiConfig | None) -> list[tuple[str, Listener]]:
    """Every UDP port the config's OSC listeners take, as (dotted path, listener): each osc
    input's ``listen``, in file order, then ``api.osc``."""
    listeners = [(f"inputs.{name}.listen", one.listen) for name, one in inputs.items() if one.listen is not None]
    if api is not None and api.osc is not None:
        listeners.append(("api.osc", api.osc))
    return listeners


def shared_port_problems(listeners: Sequence[tuple[str, Listener]]) -> list[Problem]:
    """Each UDP listener (``(dotted path, listener)``: ``api.osc``, every osc input's
    ``listen``, a TSL switcher's port) that another one before it already takes: the second socket cannot be bound,
    so ``run`` would stop with "address in use" although ``check`` passed. One problem at
    each later listener's place, naming the earlier one's path and place."""
    problems = []
    for index, (path, listener) in enumerate(listeners):
        for first_path, first in listeners[:index]:
            if first.port == listener.port and _overlap(first.host, listener.host):
                problems.append(Problem(listener.mark, path, (
                    f"UDP port {listener.port} is taken by {first_path} ({first} at {first.mark}); "
                    "two listeners cannot share a UDP port: give one another port"
                )))
                break
    return problems


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
