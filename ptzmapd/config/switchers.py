"""The ``switchers:`` section: each vision mixer or tally feed, its schema, its typed
:class:`~.model.SwitcherConfig`, and the rules across entries that involve switchers.

One entry::

    vision:
      type: obs                    # the SWITCHERS registry's names
      url: ws://127.0.0.1:4455     # obs: its websocket; vmix/atem: HOST[:PORT], tsl: HOST:PORT to listen
                                   # on (or host: and port:, as a camera's)
      password_env: OBS_PASSWORD   # obs: or password_file; resolved now, never shown
      sources: {Stage: stage}      # the switcher's source name -> camera
      follow: preview              # preview | program | off
      live: block                  # off | block | slow (live_factor)
      tally_hold: 5                # seconds lamps hold after the switcher is lost
      carry: false                 # follow: keep moving on the new camera
      follow_groups: [a]           # follow: the selection groups that follow (default: all)

Across entries (:func:`switcher_problems`): switcher actions need a switcher that can be
driven (a TSL feed cannot), name one when there are several, and a camera that has a source
on it; ``live-override`` needs a switcher with ``live``; ``led_shows`` needs a switcher, a
light and one camera. A camera's ``tally:`` is its protocol's own key (VISCA's options): a
protocol without one refuses it like any key that does not apply; lamps without a switcher,
or ``tally_preview`` without lamps, are refused too (:func:`tally_problems`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ptzmapd.config.checks import Boolean, Choice, GroupNames, Integer, Invalid, Number, Scope, Shape, Text, word
from ptzmapd.config.model import BindingConfig, CameraConfig, Listener, Mark, SwitcherConfig
from ptzmapd.config.schema import Field, Schema, read_fields, unless, when
from ptzmapd.config.yamlmarks import MappingNode, Node, Problem, child_path
from ptzmapd.onair import FOLLOW_MODES, FOLLOW_OFF, LIVE_MODES, LIVE_OFF
from ptzmapd.registry import suggest
from ptzmapd.secrets import SecretMissing, one_password_source, password_source, password_sources
from ptzmapd.switchers import SWITCHERS
from ptzmapd.transports.addresses import host_problem
from ptzmapd.vocabulary import BUSES, MIXER_ACTIONS, SWITCHER_ACTIONS, Action, Target

#: Where each type is reached when the config gives no port (obs: its url's, default 4455).
DEFAULT_PORTS: dict[str, int] = {"obs": 4455, "vmix": 8099, "atem": 9910}
#: Types reached by ``host`` (and ``port``) rather than a url; tsl listens there.
HOSTED = ("vmix", "atem", "tsl")
#: Types that listen (on UDP, at ``host:port``) rather than reach the switcher.
LISTENING = ("tsl",)
#: Types that take a password (obs-websocket authentication).
WITH_PASSWORD = ("obs",)

SWITCHER = Schema((
    Field("type", Choice("switcher type", SWITCHERS.names()), required=True),
    # The one key for where every type is; host and port, as a camera's, for the others
    # (one of url or host is required: :func:`_hosted`).
    Field("url", Text(), required=when(type="obs")),
    Field("host", Text(), applies=when(type=HOSTED)),
    Field("port", Integer(1, 65535), applies=when(type=HOSTED)),
    Field("password_env", Text(), applies=when(type=WITH_PASSWORD)),
    Field("password_file", Text(), applies=when(type=WITH_PASSWORD)),
    Field("sources", Shape(MappingNode), required=True),
    Field("follow", Choice("follow", FOLLOW_MODES), default=FOLLOW_OFF),
    # Carrying a move over is part of following: without follow it would be ignored.
    Field("carry", Boolean(), default=False, applies=when(follow=[mode for mode in FOLLOW_MODES if mode != FOLLOW_OFF])),
    # The selection groups whose `selected` follows (default: every group).
    Field("follow_groups", GroupNames(), applies=unless(follow=FOLLOW_OFF)),
    Field("live", Choice("live", LIVE_MODES), default=LIVE_OFF),
    Field("live_factor", Number(0, 1, above_low=True), default=0.25),
    Field("tally_hold", Number(0, 3600), default=5.0),
))


def switcher_config(name: str, node: Node, key_mark: Mark, path: str, cameras: Sequence[str],
                    problems: list[Problem], groups: Sequence[str] = ()) -> SwitcherConfig | None:
    """One ``switchers:`` entry as its config, or None (with its problems added); ``groups``:
    the selection groups the inputs name."""
    if not isinstance(node, MappingNode):
        problems.append(Problem(node.mark, path, "expected a mapping of switcher settings"))
        return None
    kind = word(node.value.get("type"))
    facts = {"type": kind} if kind is not None and kind in SWITCHERS else {}
    follow = word(node.value["follow"]) if "follow" in node.value else FOLLOW_OFF
    if follow in FOLLOW_MODES:  # a misspelt one is reported at itself, not at carry too
        facts["follow"] = follow
    found = len(problems)
    # Partial: a source mapped to a misspelt camera is reported beside a missing host.
    values = read_fields(SWITCHER, node, path, Scope(facts, cameras, groups=groups), problems, where=key_mark, partial=True) or {}
    if "type" not in values:
        return None
    sources = _sources(values["sources"], child_path(path, "sources"), cameras, problems) if "sources" in values else {}
    host, port, url = _where(values, node, key_mark, path, problems)
    password = _password(values, node, path, problems)
    if len(problems) != found:
        return None
    return SwitcherConfig(
        name=name, type=values["type"], mark=key_mark, host=host, port=port, url=url, password=password,
        sources=sources, follow=values["follow"], live=values["live"], live_factor=values["live_factor"],
        tally_hold=values["tally_hold"], carry=values.get("carry", False), follow_groups=values.get("follow_groups"),
    )


def _sources(section: MappingNode, path: str, cameras: Sequence[str], problems: list[Problem]) -> dict[str, str]:
    """Source name (as the switcher spells it: a scene, an input number, a tally index) -> camera."""
    sources: dict[str, str] = {}
    camera = Choice("camera", cameras)
    for key, value in section.value.items():
        try:
            sources[str(key)] = camera(value, Scope({}, cameras))
        except Invalid as invalid:
            problems.append(Problem(value.mark, child_path(path, key), str(invalid)))
    if not section.value:
        problems.append(Problem(section.mark, path, "no sources: map at least one switcher source to a camera"))
    return sources


def _where(values: Mapping[str, Any], node: MappingNode, key_mark: Mark, path: str,
           problems: list[Problem]) -> tuple[str, int, str | None]:
    """(host, port, url): an obs url read apart; a host checked as a camera's is."""
    kind = values["type"]
    if kind in HOSTED:
        return _hosted(values, node, key_mark, path, problems)
    if "url" in values:
        url = str(values["url"])
        parts = urlsplit(url)
        try:
            port = parts.port or DEFAULT_PORTS[kind]
        except ValueError:
            port = 0
        if parts.username or parts.password:
            # Never repeated: it holds a secret.
            problems.append(Problem(node.value["url"].mark, child_path(path, "url"), (
                "expected a websocket url without credentials, like 'ws://127.0.0.1:4455' "
                "(give the password with password_env or password_file)")))
            return "", 0, None
        if parts.scheme not in ("ws", "wss") or not parts.hostname or not port:
            problems.append(Problem(node.value["url"].mark, child_path(path, "url"),
                                    f"expected a websocket url like 'ws://127.0.0.1:4455', got {url!r}"))
            return "", 0, None
        return parts.hostname, port, url
    return "", 0, None  # its missing url is reported already


def _hosted(values: Mapping[str, Any], node: MappingNode, key_mark: Mark, path: str,
            problems: list[Problem]) -> tuple[str, int, None]:
    """(host, port, None) of a vmix, atem or tsl entry: ``url: HOST[:PORT]`` (``[IPv6]:PORT``)
    or ``host:`` and ``port:``. A TSL feed has no usual port (the tally hub's sender names it)."""
    kind = values["type"]
    example = "192.168.1.240:8099" if kind == "vmix" else "0.0.0.0:8900" if kind == "tsl" else "192.168.1.240"
    if "url" in values and "host" in values:
        problems.append(Problem(node.key_marks["host"], child_path(path, "host"),
                                "'url' and 'host' cannot be used together (choose one of 'url', 'host')"))
        return "", 0, None
    port: int | None = values.get("port")
    if "url" in values:
        key, url = "url", str(values["url"])
        host, written = _host_and_port(url)
        if "/" in url or not host or written and not (written.isascii() and written.isdigit()
                                                      and 1 <= int(written) <= 65535):
            problems.append(Problem(node.value["url"].mark, child_path(path, "url"), (
                f"expected HOST or HOST:PORT for a {kind} switcher, like {example!r}, got {url!r}")))
            return "", 0, None
        if written and port is not None:
            problems.append(Problem(node.key_marks["port"], child_path(path, "port"), (
                f"the port is given twice: in url ({written}) and in port ({port}); keep one")))
            return "", 0, None
        port = int(written) if written else port
    elif "host" in values:
        key, host = "host", str(values["host"])
    else:
        problems.append(Problem(key_mark, path, (
            f"missing key 'host' (required for type {kind!r}; or url: HOST:PORT, like {example!r})")))
        return "", 0, None
    problem = host_problem(host)
    if problem is not None:
        problems.append(Problem(node.value[key].mark, child_path(path, key), problem))
    if port is None and kind not in DEFAULT_PORTS:
        problems.append(Problem(key_mark, path, (
            f"missing key 'port' (required for type {kind!r}: the port to listen on; or url: HOST:PORT)")))
        return "", 0, None
    return host, port if port is not None else DEFAULT_PORTS[kind], None


def _host_and_port(url: str) -> tuple[str, str]:
    """``HOST[:PORT]`` or ``[IPv6][:PORT]`` as (host, port as written, "" if none); a bare IPv6
    address is all host."""
    if url.startswith("["):
        address, bracket, rest = url[1:].partition("]")
        return (address, rest[1:]) if bracket and (not rest or rest.startswith(":")) else ("", "")
    if url.count(":") == 1:
        host, _, port = url.partition(":")
        return host, port
    return url, ""


def _password(values: Mapping[str, Any], node: MappingNode, path: str, problems: list[Problem]) -> str | None:
    given = password_sources(values)
    if len(given) > 1:
        problems.append(Problem(node.key_marks[given[1]], child_path(path, given[1]), one_password_source(given)))
        return None
    if not given:
        return None
    key = given[0]
    try:
        return password_source(key, str(values[key]), node.mark.file).reveal()
    except SecretMissing as missing:
        problems.append(Problem(node.value[key].mark, child_path(path, key), str(missing)))
        return None


def tally_problems(cameras: Mapping[str, CameraConfig], switchers: Mapping[str, SwitcherConfig]) -> list[Problem]:
    """A camera's tally settings that would do nothing: lamps with no switcher to follow, or
    preview shown on lamps that are not driven (``check`` accepts no setting it ignores)."""
    problems: list[Problem] = []
    for camera in cameras.values():
        path = f"cameras.{camera.name}"
        if camera.options.tally_lamps and not switchers:
            problems.append(Problem(camera.mark, f"{path}.tally", (
                "tally lamps follow a switcher, and none is configured (add one under switchers:, or leave tally out)")))
        if getattr(camera.options, "tally_preview", False) and not camera.options.tally_lamps:
            problems.append(Problem(camera.mark, f"{path}.tally_preview", (
                "tally_preview shows preview on the tally lamps, and this camera's tally is none (give its tally)")))
    return problems


def can_drive(switcher: SwitcherConfig) -> bool:
    """Whether ptzmapd can put sources on preview and cut on this switcher's type."""
    return bool(getattr(SWITCHERS[switcher.type], "can_drive", False))


def switcher_problems(bindings: Sequence[tuple[BindingConfig, Node, str]],
                      switchers: Mapping[str, SwitcherConfig]) -> list[Problem]:
    """What the bindings ask of the switchers, and whether they can (see the module doc)."""
    problems: list[Problem] = []
    live = [name for name, switcher in switchers.items() if switcher.live != LIVE_OFF]
    for binding, node, path in bindings:
        def at(key: str) -> tuple[Mark, str]:
            if isinstance(node, MappingNode) and key in node.value:
                return node.value[key].mark, child_path(path, key)
            return binding.mark, child_path(path, key)

        if binding.action == Action.LIVE_OVERRIDE and not live:
            problems.append(Problem(*at("action"), (
                "live-override lifts a live lockout, and no switcher has one (give a switcher live: block or slow)")))
        if binding.led_shows is not None:
            if not switchers:
                problems.append(Problem(*at("led_shows"), "led_shows shows a switcher's tally, and none is configured"))
            elif binding.led is None:
                problems.append(Problem(*at("led_shows"), "led_shows needs a light on this binding (led:)"))
            elif binding.camera in (Target.ALL, *BUSES) or binding.action in (Action.SELECT, *MIXER_ACTIONS):
                problems.append(Problem(*at("led_shows"), (
                    f"led_shows shows one camera's tally: give this binding a camera name or selected, "
                    f"not {binding.camera!r}")))
        if binding.action not in SWITCHER_ACTIONS:
            continue
        if not switchers:
            problems.append(Problem(*at("action"), f"{binding.action} needs a switcher (add one under switchers:)"))
            continue
        name = binding.switcher
        if name is None:
            if len(switchers) > 1:
                problems.append(Problem(binding.mark, path,
                                        f"{binding.action}: which switcher? add switcher: NAME{suggest(None, list(switchers))}"))
                continue
            name = next(iter(switchers))
        switcher = switchers[name]
        if not can_drive(switcher):
            problems.append(Problem(*at("action"), (
                f"switcher {name!r} ({switcher.type}) cannot be driven: it only reports tally "
                f"(it still works for follow, tally lamps and live lockout)")))
        elif binding.action == Action.SWITCHER_PREVIEW and binding.camera != Target.SELECTED \
                and binding.camera not in switcher.sources.values():
            mapped = ", ".join(f"{source} -> {camera}" for source, camera in switcher.sources.items())
            problems.append(Problem(*at("camera"), (
                f"camera {binding.camera!r} has no source on switcher {name!r} (its sources: {mapped})")))
    return problems



def udp_listeners(switchers: Mapping[str, SwitcherConfig]) -> list[tuple[str, Listener]]:
    """The UDP ports the switchers listen on (a TSL feed's ``host:port``), as (dotted path,
    listener at the switcher's name), for the check that no two listeners share a port."""
    return [(f"switchers.{name}", Listener(switcher.host, switcher.port, switcher.mark))
            for name, switcher in switchers.items() if switcher.type in LISTENING]
