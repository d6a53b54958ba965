"""The ``mqtt:`` section: the broker ptzmapd publishes its state to and takes commands from.

```yaml
mqtt:
  broker: 127.0.0.1:1883        # host or host:port (1883 if left out); absent = off
  topic: studio/ptzmapd         # prefix: {topic}/state/…, {topic}/cmd
  username: booth1              # optional, with the password from the environment
  password_env: PTZMAPD_MQTT_PASSWORD
  client_id: booth1-ptzmapd     # optional; default ptzmapd-HOSTNAME-PID
```

The broker is read with the check of every network address (:class:`~ptzmapd.config.api.Listen`);
the password is resolved here, when the config loads (so ``check`` and ``run`` agree), and
never shown.
"""

from __future__ import annotations

from ptzmapd.config.api import Listen
from ptzmapd.config.checks import Invalid, Scope, Text
from ptzmapd.config.model import Listener, MqttConfig
from ptzmapd.config.schema import Field, Schema, read_fields
from ptzmapd.config.yamlmarks import MappingNode, Node, Problem, ScalarNode, child_path
from ptzmapd.secrets import SecretMissing, password_from_env

#: MQTT's registered port, when ``broker`` names none.
DEFAULT_PORT = 1883
#: Where the daemon's own state and commands live under ``topic``, when none is written.
DEFAULT_TOPIC = "ptzmapd"


class Broker:
    """``host`` or ``host:port`` (``[IPv6]:port``); the port is 1883 when left out."""

    def __call__(self, node: Node, scope: Scope) -> Listener:
        if isinstance(node, ScalarNode) and isinstance(node.value, str) and not node.value.strip():
            # Said as written: with the default port added it would read ':1883'.
            raise Invalid("expected the broker's HOST or HOST:PORT (like 127.0.0.1:1883), got an empty string")
        if isinstance(node, ScalarNode) and isinstance(node.value, str) and (":" not in node.value or node.value.endswith("]")):
            node = ScalarNode(f"{node.value}:{DEFAULT_PORT}", node.mark, node.text)
        return Listen()(node, scope)


class Topic:
    """A topic prefix: levels split by ``/``, none empty, no wildcard (``+``, ``#``)."""

    def __call__(self, node: Node, scope: Scope) -> str:
        text = Text()(node, scope)
        if any(c in text for c in "+#\0") or any(not level for level in text.split("/")):
            raise Invalid(f"expected a topic prefix such as studio/ptzmapd (no '+', '#' or empty level), got {text!r}")
        return text


MQTT = Schema((
    Field("broker", Broker(), required=True),
    Field("topic", Topic(), default=DEFAULT_TOPIC),
    Field("username", Text()),
    Field("password_env", Text()),
    Field("client_id", Text()),
))


def mqtt_config(node: MappingNode, problems: list[Problem], path: str = "mqtt") -> MqttConfig | None:
    """The ``mqtt:`` mapping as an :class:`MqttConfig`; None (with ``problems`` added) when wrong."""
    found = len(problems)
    values = read_fields(MQTT, node, path, Scope({}), problems, where=node.mark)
    if values is None:
        return None
    password = None
    if "password_env" in values:
        if "username" not in values:
            problems.append(Problem(node.value["password_env"].mark, child_path(path, "password_env"),
                                    "a password goes with a username: add 'username'"))
        else:
            try:
                password = password_from_env(values["password_env"])
            except SecretMissing as missing:
                problems.append(Problem(node.value["password_env"].mark, child_path(path, "password_env"), str(missing)))
    if len(problems) > found:
        return None
    return MqttConfig(broker=values["broker"], topic=values["topic"], username=values.get("username"),
                      password_env=values.get("password_env"), password=password,
                      client_id=values.get("client_id"), mark=node.mark)
