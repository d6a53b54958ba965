"""The ``api:`` section: listeners, the token rule (file:line, in ``check`` as in ``run``), hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import CONFIG_BASE, problems_of, write
from ptzmapd.config.loader import load_config

ISSUE_EXAMPLE = """\
api:
  http: 127.0.0.1:8780          # HTTP + WebSocket + the web page; absent = off
  osc: 127.0.0.1:9000           # the fixed OSC namespace below, UDP; absent = off
  token_env: PTZMAPD_TOKEN      # required when any listener is not loopback
"""


def test_the_issue_example_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTZMAPD_TOKEN", "s3cret-token")
    api = load_config(write(tmp_path, "c.yaml", CONFIG_BASE + ISSUE_EXAMPLE)).api
    assert api is not None and api.http is not None and api.osc is not None
    assert (api.http.host, api.http.port, api.osc.host, api.osc.port) == ("127.0.0.1", 8780, "127.0.0.1", 9000)
    assert api.token is not None and api.token.reveal() == "s3cret-token" and "s3cret" not in repr(api)
    assert api.hold == 0.5


def test_no_api_section_means_nothing_listens(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "c.yaml", CONFIG_BASE)).api is None


def test_hold_and_ipv6_listeners(tmp_path: Path) -> None:
    api = load_config(write(tmp_path, "c.yaml", CONFIG_BASE + "api:\n  http: '[::1]:8780'\n  hold: 0.25\n")).api
    assert api is not None and api.http is not None
    assert (api.http.host, api.http.port, str(api.http), api.hold) == ("::1", 8780, "[::1]:8780", 0.25)


@pytest.mark.parametrize("listener", ["http: 0.0.0.0:8780", "osc: 192.168.1.10:9000", "http: camera-pi.local:80", "http: '[::]:8780'"])
def test_a_listener_off_loopback_without_a_token_is_refused_at_its_line(tmp_path: Path, listener: str) -> None:
    path = write(tmp_path, "c.yaml", CONFIG_BASE + f"api:\n  {listener}\n")
    (problem,) = problems_of(path)
    key = listener.split(":")[0]
    assert problem.startswith(f"{path}:6:{len(key) + 5}: api.{key}: ") and "not loopback" in problem and "token_env" in problem


def test_check_refuses_an_open_listener_without_a_token_and_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", CONFIG_BASE + "api:\n  http: 0.0.0.0:8780\n")
    done = subprocess.run([sys.executable, "-c", "from ptzmapd.cli import main; raise SystemExit(main())", "check", "-c", path],
                          capture_output=True, text=True)
    assert done.returncode == 2 and f"{path}:6:9: api.http:" in done.stderr and "not loopback" in done.stderr


def test_a_token_variable_that_is_not_set_is_a_problem_that_shows_no_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PTZMAPD_TEST_TOKEN", raising=False)
    path = write(tmp_path, "c.yaml", CONFIG_BASE + "api:\n  http: 0.0.0.0:8780\n  token_env: PTZMAPD_TEST_TOKEN\n")
    assert problems_of(path) == [f"{path}:7:14: api.token_env: environment variable 'PTZMAPD_TEST_TOKEN' is not set"]


def test_every_problem_of_the_section_at_once_with_suggestions(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", CONFIG_BASE + "api:\n  htp: 127.0.0.1:8780\n  osc: 0.0.0.0:70000\n  hold: 0\n  http: 8780\n")
    problems = problems_of(path)
    assert any("api.htp: unknown key 'htp' (did you mean 'http'?" in p for p in problems)
    assert any(":7:8: api.osc: the port must be a number 1..65535" in p for p in problems)
    assert any(":8:9: api.hold: 0 is out of range" in p for p in problems)
    assert any(":9:9: api.http: expected HOST:PORT" in p for p in problems)


def test_api_belongs_in_the_main_file(tmp_path: Path) -> None:
    write(tmp_path, "profile.yaml", "api:\n  http: 127.0.0.1:8780\n")
    path = write(tmp_path, "c.yaml", CONFIG_BASE + "include:\n  - {file: profile.yaml, input: desk}\n")
    (problem,) = problems_of(path)
    assert "profile.yaml:2:3: api:" in problem and "main config file" in problem


def test_mqtt_belongs_in_the_main_file_and_the_main_files_own_sections_are_kept(tmp_path: Path) -> None:
    write(tmp_path, "profile.yaml", "mqtt:\n  broker: 127.0.0.1:1883\n  topic: booth\n")
    path = write(tmp_path, "c.yaml", CONFIG_BASE + "include:\n  - {file: profile.yaml, input: desk}\n")
    (problem,) = problems_of(path)
    assert "profile.yaml:2:3: mqtt:" in problem and "main config file" in problem
    # An include without either leaves the main file's sections as they are.
    write(tmp_path, "plain.yaml", "bindings: []\n")
    main = write(tmp_path, "d.yaml", CONFIG_BASE + "api:\n  http: 127.0.0.1:8780\nmqtt:\n  broker: 127.0.0.1:1883\n"
                 "  topic: booth\ninclude:\n  - {file: plain.yaml, input: desk}\n")
    config = load_config(main)
    assert config.api is not None and config.mqtt is not None and config.mqtt.topic == "booth"


def test_an_empty_mqtt_broker_is_named_as_written(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", CONFIG_BASE + "mqtt:\n  broker: ''\n  topic: booth\n")
    (problem,) = problems_of(path)
    assert "mqtt.broker:" in problem and "got an empty string" in problem and ":1883'" not in problem
