"""An open-loop HTTP/1.1 client: every request leaves at its planned time, whatever the answers.

A closed-loop load generator (wrk, a pool of N connections each waiting for its answer)
sends less when the server slows down, and so never sees the queue a real arrival rate
builds. Here a scheduler sends each request when it is due on an idle keep-alive
connection, least recently used first so the work spreads over the connections (and so
over the server's workers); when none is idle it opens another (up to ``max_connections``),
and the request waits for it: that wait is the client's own lag, measured and reported
for every request (time written minus time planned). The answers are read as they come.

A run stops early when the server is clearly behind: more requests outstanding than
``abort_seconds`` of arrivals (by Little's law the mean wait is then over that long).
"""

from __future__ import annotations

import asyncio
import collections
import gc
import os
import resource
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

IDLE_LIMIT = 1.5  # seconds: gunicorn closes a keep-alive connection idle for 2 s


@dataclass(frozen=True)
class Planned:
    """One request to send: when (seconds after the start), its bytes, its X-Request-Id."""

    at: float
    payload: bytes
    tag: str
    measured: bool = True  # False during the warm-up
    spoken: bool = False


@dataclass
class Outcome:
    """What became of one planned request."""

    sent_wall: float = 0.0  # time.time() when written (compared with the server's log)
    lag: float = 0.0  # seconds written after its planned time
    round_trip: float = float("nan")  # seconds until the whole answer was read
    status: int = 0  # 0: never answered


@dataclass
class Run:
    """The outcomes of a schedule, and how the client itself fared."""

    outcomes: list[Outcome]
    aborted: bool = False
    client_cpu_s: float = 0.0
    connections: int = 0  # the most open at once
    retries: int = 0
    wall_s: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


class _Connection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time."""

    def __init__(self, client: OpenLoop) -> None:
        self.client = client
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiting: int | None = None  # index of the request in flight
        self.started = 0.0
        self.last_used = 0.0
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, index: int, payload: bytes, now: float) -> None:
        assert self.transport is not None
        self.waiting, self.started, self.last_used = index, now, now
        self.transport.write(payload)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
            elif name == "transfer-encoding":
                raise RuntimeError("chunked answers are not read by this client")
        if len(self.buffer) < end + 4 + length:
            return
        del self.buffer[:end + 4 + length]
        index, self.waiting = self.waiting, None
        if index is not None:
            self.client.answered(self, index, status)
        if close:
            self.drop()

    def drop(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.client.lost(self)


class OpenLoop:
    """Sends ``planned`` to ``host:port`` at the planned times; ``run()`` returns a Run."""

    def __init__(self, host: str, port: int, planned: list[Planned], connections: int = 64,
                 max_connections: int = 2000, abort_seconds: float = 0.5) -> None:
        self.host, self.port = host, port
        self.planned = planned
        self.initial = connections
        self.max_connections = max_connections
        self.abort_seconds = abort_seconds
        self.outcomes = [Outcome() for _ in planned]
        self.idle: collections.deque[_Connection] = collections.deque()
        self.every: set[_Connection] = set()
        self.backlog: collections.deque[int] = collections.deque()
        self.open = 0
        self.opening = 0
        self.most_open = 0
        self.retries = 0
        self.connect_errors = 0
        self.outstanding = 0
        self.start = 0.0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.finished: asyncio.Event | None = None

    def run(self) -> Run:
        """Send the whole schedule, wait for the answers (30 s at most), and report."""
        gc.collect()
        gc.disable()  # a collection in the middle would show as the client's own lag
        before = resource.getrusage(resource.RUSAGE_SELF)
        try:
            began = time.perf_counter()
            aborted = asyncio.run(self._run())
            wall = time.perf_counter() - began
        finally:
            gc.enable()
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return Run(self.outcomes, aborted, cpu, self.most_open, self.retries, wall,
                   {"connect_errors": self.connect_errors})

    async def _run(self) -> bool:
        self.loop = asyncio.get_running_loop()
        self.finished = asyncio.Event()
        await asyncio.gather(*(self._connect() for _ in range(self.initial)))
        loop, planned = self.loop, self.planned
        rate = len(planned) / max(planned[-1].at, 1e-3) if planned else 0.0
        self.start = loop.time() + 0.05
        aborted = False
        index = 0
        while index < len(planned):
            now = loop.time() - self.start
            if planned[index].at > now:
                await asyncio.sleep(planned[index].at - now)
                continue
            while index < len(planned) and planned[index].at <= now:
                self.outstanding += 1
                self.finished.clear()  # set whenever every answer so far has come back
                self._dispatch(index)
                index += 1
            if now > 1.0 and self.outstanding > max(20.0, rate * self.abort_seconds):
                aborted = True
                break
        if self.outstanding:
            try:
                await asyncio.wait_for(self.finished.wait(), timeout=30)
            except TimeoutError:
                pass
        for conn in list(self.every):
            conn.drop()
        await asyncio.sleep(0.05)
        return aborted

    async def _connect(self, tries: int = 20) -> None:
        assert self.loop is not None
        self.opening += 1
        try:
            _, conn = await self.loop.create_connection(lambda: _Connection(self), self.host,
                                                        self.port)
        except OSError:
            self.opening -= 1
            self.connect_errors += 1
            if self.backlog and tries > 1:  # a request waits for it: try again shortly
                await asyncio.sleep(0.05)
                await self._connect(tries - 1)
            return
        self.opening -= 1
        if conn.closed:  # the server closed it at once (lost() ran already)
            if self.backlog and tries > 1:
                await self._connect(tries - 1)
            return
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        self.every.add(conn)
        conn.last_used = self.loop.time()
        self._ready(conn)

    def _dispatch(self, index: int) -> None:
        """Send on the least recently used idle connection, or wait for one."""
        assert self.loop is not None
        now = self.loop.time()
        while self.idle:
            conn = self.idle.popleft()
            if conn.closed:
                continue
            if now - conn.last_used > IDLE_LIMIT:  # the server may be closing it right now
                conn.drop()
                continue
            self._send(conn, index, now)
            return
        self.backlog.append(index)
        if self.open + self.opening < self.max_connections and \
                self.opening < max(1, len(self.backlog)):
            self.loop.create_task(self._connect())

    def _send(self, conn: _Connection, index: int, now: float) -> None:
        assert self.loop is not None
        if conn.closed:  # lost before it carried anything: the request waits for another
            self.backlog.appendleft(index)
            self.loop.create_task(self._connect())
            return
        outcome = self.outcomes[index]
        outcome.sent_wall = time.time()
        outcome.lag = now - self.start - self.planned[index].at
        conn.send(index, self.planned[index].payload, now)

    def _ready(self, conn: _Connection) -> None:
        """A connection is free: the oldest waiting request goes on it, else it idles."""
        assert self.loop is not None
        if self.backlog:
            self._send(conn, self.backlog.popleft(), self.loop.time())
        elif not conn.closed:
            self.idle.append(conn)

    def answered(self, conn: _Connection, index: int, status: int) -> None:
        assert self.loop is not None and self.finished is not None
        outcome = self.outcomes[index]
        outcome.status = status
        outcome.round_trip = self.loop.time() - conn.started
        self.outstanding -= 1
        if self.outstanding == 0:
            self.finished.set()
        if not conn.closed:
            self._ready(conn)

    def lost(self, conn: _Connection) -> None:
        """A closed connection: a request it carried unanswered is sent again (same token)."""
        assert self.loop is not None
        if conn not in self.every:
            return  # closed before _connect counted it: nothing was sent on it
        self.open -= 1
        self.every.discard(conn)
        if conn.waiting is not None:
            index, conn.waiting = conn.waiting, None
            self.retries += 1
            self.backlog.appendleft(index)
            self.loop.create_task(self._connect())


@contextmanager
def client_first() -> Iterator[None]:
    """The client (only while it sends) before other work of the machine: callers' requests
    come from outside and never wait for the server's CPU to leave. Where raising a
    priority is not allowed the client runs as usual (its lag, reported, shows the cost)."""
    before = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        os.setpriority(os.PRIO_PROCESS, 0, before - 5)
    except OSError:
        yield
        return
    try:
        yield
    finally:
        os.setpriority(os.PRIO_PROCESS, 0, before)
