"""Ending background tasks: cancelled and awaited, without swallowing the caller's own cancel."""

from __future__ import annotations

import asyncio

import pytest

from ptzmapd.tasks import cancel_and_wait


def test_a_running_task_is_cancelled_and_has_ended_when_it_returns() -> None:
    async def body() -> None:
        cleaned_up: list[bool] = []

        async def worker() -> None:
            try:
                await asyncio.sleep(3600)
            finally:
                cleaned_up.append(True)

        task = asyncio.create_task(worker())
        await asyncio.sleep(0)
        await cancel_and_wait(task)
        assert task.cancelled() and cleaned_up == [True]
        await cancel_and_wait(task)  # again: nothing to do
        await cancel_and_wait(None)

    asyncio.run(body())


def test_the_callers_own_cancellation_is_passed_on() -> None:
    async def body() -> None:
        release = asyncio.Event()

        async def slow_to_stop() -> None:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                await release.wait()  # takes its time to wind down
                raise

        task = asyncio.create_task(slow_to_stop())
        await asyncio.sleep(0)
        closer = asyncio.create_task(cancel_and_wait(task))
        await asyncio.sleep(0)
        closer.cancel()  # whoever is closing is itself cancelled (e.g. a shutdown timeout)
        await asyncio.sleep(0)
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await closer
        assert closer.cancelled()

    asyncio.run(body())
