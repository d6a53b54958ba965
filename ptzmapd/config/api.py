"""The ``api:`` section: which network listeners run (HTTP + WebSocket + the web page, OSC),
the token that guards them, and how long a network move holds.

```yaml
api:
  http: 127.0.0.1:8780          # absent = off
  osc: 127.0.0.1:9000           # absent = off
  token_env: PTZMAPD_TOKEN      # required when any listener is not loopback
  hold: 0.5                     # seconds a network move lasts unless repeated
```

:class:`Listen` (``HOST:PORT``, ``[IPv6]:PORT``) is the check of every address ptzmapd
listens on, so an input's ``listen:`` reads the same way. The rule of this section: a
listener on an address other than loopback needs a token; the token's variable must be set
(resolved here, so ``check`` and ``run`` agree, and never shown).
"""

from __future__ import annotations

from ptzmapd.api.remote import DEFAULT_HOLD
from ptzmapd.config.checks import Invalid, Number, Scope, Text, show
from ptzmapd.config.model import ApiConfig, Listener
from ptzmapd.config.schema import Field, Schema, read_fields
from ptzmapd.config.yamlmarks import MappingNode, Node, Problem, ScalarNode, child_path
from ptzmapd.secrets import SecretMissing, password_from_env
from ptzmapd.transports.addresses import host_problem, is_loopback

class Listen:
    """An address to listen on: ``HOST:PORT`` or ``[IPv6]:PORT``, port 1..65535."""

    def __call__(self, node: Node, scope: Scope) -> Listener:
        value = node.value if isinstance(node, ScalarNode) else None
        if not isinstance(value, str):
            raise Invalid(f"expected HOST:PORT (like 127.0.0.1:8780), got {show(node)}")
        host, colon, port = value.rpartition(":")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        elif ":" in host:
            raise Invalid(f"write an IPv6 address in brackets, [ADDRESS]:PORT, not {value!r}")
        if not colon or not host:
            raise Invalid(f"expected HOST:PORT (like 127.0.0.1:8780), got {value!r}")
        if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
            raise Invalid(f"the port must be a number 1..65535, not {port!r}")
        if (problem := host_problem(host)) is not None:
            raise Invalid(problem)
        return Listener(host, int(port), node.mark)


API = Schema((
    Field("http", Listen()),
    Field("osc", Listen()),
    Field("token_env", Text()),
    # Seconds a network move holds unless repeated: the facade's own default when not written.
    Field("hold", Number(0, 10, above_low=True), default=DEFAULT_HOLD),
))

#: The listeners of the section, in the order messages name them.
LISTENERS = ("http", "osc")


def api_config(node: MappingNode, problems: list[Problem], path: str = "api") -> ApiConfig | None:
    """The ``api:`` mapping as an :class:`ApiConfig`; None (with ``problems`` added) when wrong."""
    found = len(problems)
    # Every key that is right is checked against the rules below, so one wrong key does
    # not hide an open listener or a missing token.
    values = read_fields(API, node, path, Scope({}), problems, partial=True) or {}
    token = None
    if "token_env" in values:
        try:
            token = password_from_env(values["token_env"])
        except SecretMissing as missing:
            problems.append(Problem(node.value["token_env"].mark, child_path(path, "token_env"), str(missing)))
    else:
        for key in LISTENERS:
            listener = values.get(key)
            if listener is not None and not is_loopback(listener.host):
                problems.append(Problem(listener.mark, child_path(path, key), (
                    f"{listener.host} is not loopback: anyone who can reach it could move the cameras; "
                    "set token_env (the environment variable that holds the API token) or listen on 127.0.0.1"
                )))
    if len(problems) > found:
        return None
    return ApiConfig(http=values.get("http"), osc=values.get("osc"), token_env=values.get("token_env"),
                     token=token, hold=values.get("hold", DEFAULT_HOLD), mark=node.mark)
