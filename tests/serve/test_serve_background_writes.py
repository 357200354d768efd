"""Background cache writes wait for the scoring CPU step (``wikiscore.store.background``), but
never longer than their limit; a score's write still lands."""

from __future__ import annotations

import asyncio
import time

from wikiscore.store.background import Foreground


def test_waits_only_while_a_cpu_step_runs() -> None:
    async def main() -> None:
        foreground = Foreground()
        started = time.perf_counter()
        await foreground.wait_idle()
        assert time.perf_counter() - started < 0.2  # idle: no wait (but the settle)

        async def cpu_step(seconds: float) -> None:
            with foreground.busy():
                await asyncio.sleep(seconds)

        async def writer() -> None:
            await foreground.wait_idle(max_wait=5)

        step = asyncio.ensure_future(cpu_step(0.3))
        await asyncio.sleep(0)
        assert foreground.is_busy
        write = asyncio.ensure_future(writer())
        await asyncio.sleep(0.15)
        assert not write.done()  # held back while the step runs
        await step
        await asyncio.wait_for(write, 1)  # and let go when it ends
        assert not foreground.is_busy

    asyncio.run(main())


def test_a_write_waits_at_most_max_wait_under_constant_load() -> None:
    async def main() -> None:
        foreground = Foreground()
        with foreground.busy():
            started = time.perf_counter()
            await foreground.wait_idle(max_wait=0.15)
            waited = time.perf_counter() - started
        assert 0.14 <= waited < 1.0

    asyncio.run(main())


def test_a_write_scheduled_just_before_the_step_starts_still_waits_for_it() -> None:
    """A fetch schedules its cache writes while it finishes; the CPU step that scores what it
    fetched marks itself busy a moment later."""

    async def main() -> None:
        foreground = Foreground()

        async def cpu_step() -> None:
            await asyncio.sleep(0.001)  # the fetch's last steps
            with foreground.busy():
                await asyncio.sleep(0.3)

        write = asyncio.ensure_future(foreground.wait_idle(max_wait=5))
        step = asyncio.ensure_future(cpu_step())
        await asyncio.sleep(0.15)
        assert not write.done()
        await step
        await asyncio.wait_for(write, 1)

    asyncio.run(main())
