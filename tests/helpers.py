"""Shared test scaffolding: running async test bodies, and waiting for what real devices do.

Tests that drive real sockets, ptys, JACK or SDL wait on real time for the far end to act;
timing logic itself is tested with :class:`~ptzmapd.clock.FakeClock`, never with these.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar

T = TypeVar("T")

#: How long a test body may run before it is called hung.
RUN_TIMEOUT = 60.0


def run(body: Awaitable[T] | Callable[[], Awaitable[T]], timeout: float = RUN_TIMEOUT) -> T:
    """Run a coroutine (or a coroutine function) on a fresh loop; its result.

    Raises ``TimeoutError`` after ``timeout`` seconds, so a hung device fails one test
    instead of stalling the suite.
    """
    awaitable = body if inspect.isawaitable(body) else body()

    async def main() -> T:
        return await asyncio.wait_for(awaitable, timeout)

    return asyncio.run(main())


async def until(condition: Callable[[], bool], what: str = "", *, timeout: float = 10.0, interval: float = 0.01) -> None:
    """Return once ``condition()`` holds; AssertionError naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or condition}")
        await asyncio.sleep(interval)


def run_catching(main: Callable[[], Awaitable[None]]) -> list[dict[str, Any]]:
    """Run ``main()`` and return every exception the loop saw escape a task or callback."""
    escaped: list[dict[str, Any]] = []

    async def wrapper() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: escaped.append(context))
        await main()
        gc.collect()  # an unretrieved task exception is reported when the task is collected
        await asyncio.sleep(0)

    asyncio.run(wrapper())
    return escaped


#: A valid camera and input, for config tests to build on.
CONFIG_BASE = """\
cameras:
  stage: {protocol: visca-ip, host: 127.0.0.2}
inputs:
  desk: {type: midi, port: "*nano*"}
"""


def write(directory: Path, name: str, text: str) -> str:
    """Write ``text`` to ``directory/name`` (folders made as needed); the path as a string."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def problems_of(path: str) -> list[str]:
    """The problems ``load_config`` reports for ``path`` (it must refuse the file)."""
    import pytest

    from ptzmapd.config.loader import load_config
    from ptzmapd.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems
