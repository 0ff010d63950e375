"""Serving the app as in production and putting it under load.

``Server``: gunicorn as ``make run`` starts it (``--workers 2 --threads 4``, the access log
written) on a free loopback port, on the database given, stopped at the end. It serves the app
with the two reference endpoints of ``bench/probes.py`` added.

``hammer``: CONNECTIONS keep-alive HTTP/1.1 connections (asyncio streams, no dependency beyond
the standard library; wrk is not installed here) sending GET requests back to back for a
number of seconds; the requests per second and the latencies of every response."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

CONNECTIONS = 32
WORKERS, THREADS = 2, 4
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Run:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, database_url: str, cache_dir: str):
        self.database_url, self.cache_dir = database_url, cache_dir
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        self.folder = tempfile.TemporaryDirectory(prefix="guardrail_bench_server_")

    def __enter__(self) -> Server:
        env = {**os.environ, "LMS_DATABASE_URL": self.database_url,
               "LMS_CACHE_DIR": self.cache_dir,
               "LMS_BASE_URL": f"http://127.0.0.1:{self.port}"}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        log = Path(self.folder.name)
        self.process = subprocess.Popen(
            [str(gunicorn), "--workers", str(WORKERS), "--threads", str(THREADS),
             "--bind", f"127.0.0.1:{self.port}", "--access-logfile", str(log / "access.log"),
             "--error-logfile", str(log / "error.log"), "bench.probes:create_app()"],
            env=env, cwd=Path(__file__).resolve().parent.parent, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            self._wait_until_up(timeout=180)
        except BaseException:
            self.__exit__(None, None, None)  # a with statement does not when __enter__ fails
            raise
        return self

    def _wait_until_up(self, timeout: float) -> None:
        """Until both workers answer (their first requests start the app: slow on a busy
        machine)."""
        deadline = time.monotonic() + timeout
        answered = 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn stopped: " + self.errors())
            try:
                if requests.get(self.url("/healthz"), timeout=30).status_code == 200:
                    answered += 1
                    if answered >= 2 * WORKERS:
                        return
                    continue
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s: " + self.errors())

    def __exit__(self, *_exc) -> None:
        if self.process is not None:
            # Its own process group: the workers go with the master whatever state they are in.
            group = os.getpgid(self.process.pid) if self.process.poll() is None else None
            if group is not None:
                self.process.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=15)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
                self.process.wait()
        self.folder.cleanup()

    def errors(self) -> str:
        path = Path(self.folder.name) / "error.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def sign_in(self, email: str, password: str) -> str:
        """The session cookie of a sign-in through the form, as ``session=...``."""
        with requests.Session() as browser:
            page = browser.get(self.url("/login"), timeout=30)
            form = {"email": email, "password": password}
            token = CSRF.search(page.text)
            if token:
                form["csrf_token"] = token.group(1)
            response = browser.post(self.url("/login"), data=form, timeout=30,
                                    allow_redirects=False)
            if response.status_code != 302:
                raise RuntimeError(f"signing in as {email}: {response.status_code}")
            return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; (status, whether the server keeps the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    keep = headers.get("connection", "").lower() != "close"
    return status, keep


async def _connection(port: int, request: bytes, until: float, latencies: list[float],
                      errors: list[int]) -> None:
    reader = writer = None
    while time.perf_counter() < until:
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.perf_counter()
        writer.write(request)
        try:
            status, keep = await _read_response(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            errors.append(0)
            writer.close()
            writer = None
            continue
        if status == 200:
            latencies.append(time.perf_counter() - started)
        else:  # counted apart: a fast error page must not pass for throughput
            errors.append(status)
        if not keep:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def _hammer(port: int, path: str, cookie: str | None, seconds: float) -> Run:
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "User-Agent: guardrail-bench\r\nAccept: text/html,*/*\r\n"
               + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n").encode("latin-1")
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(_connection(port, request, until, latencies, errors)
                           for _ in range(CONNECTIONS)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0
    return Run(len(latencies), elapsed, len(errors),
               round(statistics.median(latencies) * 1000, 1) if latencies else 0.0,
               round(p99 * 1000, 1))


def hammer(port: int, path: str, cookie: str | None, seconds: float) -> Run:
    """CONNECTIONS connections requesting ``path`` for ``seconds``; every response read whole.
    A request still out at the end is waited for (and counted in the elapsed time). The loop
    runs in a thread of its own: the caller's thread may already run one (Playwright's, in the
    test suite), and asyncio allows one loop per thread."""
    result: list[Run] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(_hammer(port, path, cookie, seconds)))
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    worker = threading.Thread(target=run, name="bench-load")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return result[0]


def median_run(runs: list[Run]) -> Run:
    """The run with the median throughput (its own latencies with it)."""
    return sorted(runs, key=lambda run: run.rps)[len(runs) // 2]
