"""Background tasks: ending one cleanly.

Transports and simulators each run a task of their own (a reader, a reconnect loop, a
poller). Closing one means cancelling that task and waiting until it has really ended, so
that nothing it does can land after close() returned.
"""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and wait for it to end; its cancellation is the expected outcome.

    If the caller is itself being cancelled meanwhile, that cancellation is passed on, not
    swallowed with the task's.
    """
    if task is None or task.done():
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
