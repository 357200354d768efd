"""The scoring worker processes (``--processes N``): jobs and answers of any size travel over
each worker's socket on both event loops the service runs on, an exception comes back as
itself, and a worker that dies fails only its own job — the next job gets a new worker, in the
pool and in a running service (``ProcessPoolExecutor`` stays broken after one death)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
import uvloop

from wikiscore.scoring.workers import ProcessPool, WorkerCrashed

LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


def run_on(loop_name: str, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    loop = LOOPS[loop_name]()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


@pytest.mark.parametrize("loop_name", sorted(LOOPS))
def test_jobs_answers_errors_and_a_dead_worker(loop_name: str) -> None:
    async def main() -> None:
        pool = ProcessPool(2)
        try:
            assert await pool.run(divmod, 7, 2) == (3, 1)
            big = "wikitext " * 300_000  # 2.7 MB each way: many socket reads and writes
            assert await pool.run(str.upper, big) == big.upper()
            with pytest.raises(ZeroDivisionError):
                await pool.run(divmod, 1, 0)
            # More jobs than workers: they wait for a free one, all are answered.
            started = time.perf_counter()
            await asyncio.gather(*(pool.run(time.sleep, 0.2) for _ in range(4)))
            assert time.perf_counter() - started >= 0.4
            with pytest.raises(WorkerCrashed, match="exit code 3"):
                await pool.run(os._exit, 3)
            assert await pool.run(divmod, 9, 4) == (2, 1)  # a new worker took its place
            assert len({await pool.run(os.getpid) for _ in range(6)}) <= 2
        finally:
            pool.close()

    run_on(loop_name, main)


def test_jobs_fail_rather_than_wait_when_no_worker_can_be_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def main() -> None:
        pool = ProcessPool(1)
        try:
            await pool.run(abs, 0)  # the one worker is up

            async def cannot_start() -> None:
                raise OSError("out of processes")

            monkeypatch.setattr(pool, "_start_missing", cannot_start)
            dying = asyncio.ensure_future(pool.run(os._exit, 3))
            await asyncio.sleep(0)
            waiting = asyncio.ensure_future(pool.run(abs, -1))  # queued behind it
            with pytest.raises(WorkerCrashed, match="exit code 3"):
                await dying
            # Failed by the pool, or (if the death was seen before it was queued) by run().
            with pytest.raises((WorkerCrashed, OSError), match=r"started|out of processes"):
                await asyncio.wait_for(waiting, 5)
        finally:
            pool.close()

    run_on("asyncio", main)


def test_a_closed_pool_refuses_work() -> None:
    async def main() -> None:
        pool = ProcessPool(1)
        assert await pool.run(abs, -2) == 2
        pool.close()
        pool.close()
        with pytest.raises(RuntimeError, match="closed"):
            await pool.run(abs, -3)

    run_on("asyncio", main)


def test_a_pool_replaced_while_serving_finishes_the_jobs_it_runs() -> None:
    async def main() -> None:
        pool = ProcessPool(1)
        await pool.run(abs, 0)  # started
        running = asyncio.ensure_future(pool.run(time.sleep, 0.3))
        await asyncio.sleep(0)  # handed to the worker, which is busy for 0.3 s
        waiting = asyncio.ensure_future(pool.run(divmod, 13, 3))
        await asyncio.sleep(0)
        pool.close(finish_running=True)
        assert await running is None
        with pytest.raises(RuntimeError, match="closed"):
            await waiting

    run_on("uvloop", main)


def test_a_job_left_to_finish_fails_if_its_worker_dies() -> None:
    async def main() -> None:
        pool = ProcessPool(1)
        pid = await pool.run(os.getpid)
        running = asyncio.ensure_future(pool.run(time.sleep, 5))
        await asyncio.sleep(0.1)
        pool.close(finish_running=True)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(WorkerCrashed):
            await asyncio.wait_for(running, 3)

    run_on("asyncio", main)


def test_the_service_scores_on_after_a_worker_is_killed(
    testwiki_registry: Any, local_wiki: Any, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient
    from serve_helpers import make_edits, new_app

    first, second = make_edits(local_wiki, 2, ip="198.51.100.31")
    app = new_app(testwiki_registry, tmp_path, processes=1)
    with TestClient(app) as client:
        url = "/v3/scores/testwiki/{}/editrisk"
        assert (
            "score"
            in client.get(url.format(first)).json()["testwiki"]["scores"][str(first)]["editrisk"]
        )
        workers = app.state.wikiscore.scorer.workers
        (victim,) = [w.process.pid for w in workers._workers]
        os.kill(victim, signal.SIGKILL)
        time.sleep(0.3)
        doc = client.get(url.format(second)).json()
        assert "score" in doc["testwiki"]["scores"][str(second)]["editrisk"], doc
        assert victim not in [w.process.pid for w in workers._workers]
