"""Worker processes for the scoring CPU step, each reached over a socket of its own.

Owns ``ProcessPool``: ``await pool.run(fn, *args)`` runs a module-level function in an idle
worker process and answers on the event loop. Jobs wait in order for a free worker; a worker
that dies fails only the job it had (``WorkerCrashed``) and the next job starts another.

Why not ``concurrent.futures.ProcessPoolExecutor``: once one of its workers dies (the kernel's
OOM killer, a crash in a native library) the whole executor is broken for good and every later
job fails until the server restarts; and it hands each job to a worker through a management
thread and a queue-feeder thread, and each answer back through the management thread, each hop
waiting for the GIL. Here the event loop writes the job to an idle worker's socket and reads the
answer as it arrives (non-blocking): no helper threads. Two 25-record chunks with 5 ms of work
each took 9.9 ms there and 8.3 ms here (p50, ``benchmarks/bench_dispatch.py``). Messages are
framed as ``multiprocessing.Connection`` frames them, so the worker side is a plain blocking
``Connection``.

Must not touch the network, the store or HTTP shapes: it only moves calls and their results.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import multiprocessing
import pickle
import signal
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, cast

_STOP_TIMEOUT = 2.0  # a worker still busy with a job is killed after this


class WorkerCrashed(RuntimeError):
    """The worker process running a job died before answering."""


def _serve_jobs(conn: Connection) -> None:
    """Worker side: answer jobs until the socket closes."""
    # Ctrl-C reaches the whole process group; the server shuts down and then closes the socket.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            job = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            fn, args = pickle.loads(job)
            answer: tuple[bool, Any] = (True, fn(*args))
        except BaseException as exc:  # the caller gets the exception, the worker lives on
            answer = (False, exc)
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an unpicklable result or exception
            data = pickle.dumps((False, RuntimeError(f"unpicklable answer: {exc!r}")))
        try:
            conn.send_bytes(data)
        except (BrokenPipeError, OSError):
            return


_HEADER = struct.Struct("!i")
_LONG_HEADER = struct.Struct("!Q")


def _frame(data: bytes) -> bytes:
    """``data`` framed as ``Connection.send_bytes`` frames it."""
    if len(data) > 0x7FFFFFFF:
        return _HEADER.pack(-1) + _LONG_HEADER.pack(len(data)) + data
    return _HEADER.pack(len(data)) + data


class _Worker(asyncio.Protocol):
    """The pool's end of one worker's socket: writes jobs, reads answers frame by frame."""

    def __init__(self, pool: ProcessPool, process: BaseProcess, control: socket.socket) -> None:
        self.pool = pool
        self.process = process
        # Another handle on the socket, to end it at once: closing the transport only takes
        # effect when the event loop next runs, and ``close`` may be waiting for the worker.
        self.control = control
        self.transport: asyncio.Transport | None = None
        self.job: asyncio.Future[Any] | None = None
        self._buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._buffer)
            start = _HEADER.size
            if size == -1:
                if len(self._buffer) < start + _LONG_HEADER.size:
                    return
                (size,) = _LONG_HEADER.unpack_from(self._buffer, start)
                start += _LONG_HEADER.size
            if len(self._buffer) < start + size:
                return
            message = bytes(self._buffer[start : start + size])
            del self._buffer[: start + size]
            self.pool._answer(self, message)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.pool._replace(self)

    def send(self, data: bytes) -> None:
        if self.transport is None:
            raise ConnectionResetError("the worker's socket is closed")
        self.transport.write(_frame(data))


def _same(worker: _Worker) -> _Worker:
    return worker


def _end(worker: _Worker) -> None:
    with contextlib.suppress(OSError):  # already closed
        worker.control.shutdown(socket.SHUT_RDWR)
    worker.control.close()
    if worker.transport is not None:
        worker.transport.close()


@dataclass
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    future: asyncio.Future[Any]


class ProcessPool:
    """``processes`` worker processes (started with spawn: the server has threads running),
    connected on first use from the running event loop."""

    def __init__(self, processes: int) -> None:
        if processes < 1:
            raise ValueError("a process pool needs at least one process")
        self.processes = processes
        self._workers: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._queue: collections.deque[_Job] = collections.deque()
        self._starting: asyncio.Task[None] | None = None
        self._closed = False
        self._finishing: list[_Worker] = []  # closed, but answering their last job

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in a worker process; its exception is raised here."""
        if self._closed:
            raise RuntimeError("the process pool is closed")
        if len(self._workers) < self.processes:
            if self._starting is None or self._starting.done():
                self._starting = asyncio.ensure_future(self._start_missing())
            await asyncio.shield(self._starting)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append(_Job(fn, args, future))
        self._dispatch()
        return await future

    def close(self, *, finish_running: bool = False) -> None:
        """Stop the workers; safe to call twice. Jobs still waiting fail; jobs running fail too,
        unless ``finish_running`` (then their workers end once they have answered, and this
        returns at once: for replacing a pool while it serves)."""
        if self._closed:
            return
        self._closed = True
        self._fail_waiting(RuntimeError("the process pool was closed"))
        workers, self._workers, self._idle = self._workers, [], []
        stopping = []
        for worker in workers:
            if finish_running and worker.job is not None:
                self._finishing.append(worker)  # ended by ``_answer``
                continue
            if worker.job is not None and not worker.job.done():
                worker.job.set_exception(RuntimeError("the process pool was closed"))
            _end(worker)  # the worker sees the end of its socket and returns
            stopping.append(worker)
        for worker in stopping:
            worker.process.join(_STOP_TIMEOUT)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(_STOP_TIMEOUT)

    # -- internals ------------------------------------------------------------------------
    async def _start_missing(self) -> None:
        loop = asyncio.get_running_loop()
        context = multiprocessing.get_context("spawn")
        while len(self._workers) < self.processes and not self._closed:
            ours, theirs = socket.socketpair()
            child = Connection(theirs.detach())
            process = context.Process(target=_serve_jobs, args=(child,), daemon=True)
            process.start()
            child.close()  # only the worker holds its end: its death closes the socket
            worker = _Worker(self, process, ours.dup())
            await loop.connect_accepted_socket(functools.partial(_same, worker), sock=ours)
            self._workers.append(worker)
            self._idle.append(worker)

    def _dispatch(self) -> None:
        while self._queue and self._idle:
            job = self._queue.popleft()
            if job.future.done():  # the caller gave up while it waited
                continue
            try:
                data = pickle.dumps((job.fn, job.args), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                job.future.set_exception(exc)
                continue
            worker = self._idle.pop()
            worker.job = job.future
            try:
                worker.send(data)
            except OSError:
                if worker.transport is not None:
                    worker.transport.abort()  # connection_lost replaces the worker

    def _answer(self, worker: _Worker, message: bytes) -> None:
        try:
            ok, value = pickle.loads(message)
        except Exception as exc:
            ok, value = False, RuntimeError(f"unreadable answer from a worker: {exc!r}")
        job, worker.job = worker.job, None
        if worker in self._workers:
            self._idle.append(worker)
        elif worker in self._finishing:
            self._finishing.remove(worker)
            _end(worker)
        if job is not None and not job.done():
            if ok:
                job.set_result(value)
            else:
                job.set_exception(value)
        self._dispatch()

    def _replace(self, worker: _Worker) -> None:
        """A worker's socket closed: fail its job; the next ``run`` starts another."""
        if self._closed:
            # ``close`` stops the processes; a worker left to finish its job died doing it.
            if worker in self._finishing:
                self._finishing.remove(worker)
            if worker.job is not None and not worker.job.done():
                worker.job.set_exception(WorkerCrashed("the scoring process died"))
            worker.job = None
            return
        _end(worker)
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(_STOP_TIMEOUT)
        code = worker.process.exitcode
        if worker.job is not None and not worker.job.done():
            worker.job.set_exception(WorkerCrashed(f"the scoring process died (exit code {code})"))
        worker.job = None
        if worker in self._workers:
            self._workers.remove(worker)
        if worker in self._idle:
            self._idle.remove(worker)
        if self._queue and not self._closed:
            # Jobs are waiting and a worker is missing: start it now.
            self._starting = asyncio.ensure_future(self._start_missing())
            self._starting.add_done_callback(self._started)

    def _started(self, task: asyncio.Task[None]) -> None:
        problem = None if task.cancelled() else task.exception()
        if problem is not None and not self._workers:
            # No worker is left and none could be started: waiting jobs fail now, not never.
            self._fail_waiting(WorkerCrashed(f"no scoring process could be started: {problem!r}"))
            return
        self._dispatch()

    def _fail_waiting(self, error: Exception) -> None:
        while self._queue:
            job = self._queue.popleft()
            if not job.future.done():
                job.future.set_exception(error)
