"""The one place that starts the app and Debian's chromium for browser work: the screenshots
script, the browser tests and the load benchmark all use it.

``serve`` runs ``streamlit run app.py`` the way ``make run`` does (bound to 127.0.0.1; public mode
with ``make public-app``'s client settings) and waits until it answers its health check.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
# Without the background-networking flags, chromium's calls home fail against this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# What a phone's browser says it is (Playwright's Pixel 7): the app lays its Arabic tables out for a
# phone's width when the User-Agent says "Mobi" (dashboard.state.on_phone).
PHONE_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36"
)


# A page is ready when its script has finished (Streamlit marks the app root), nothing shows as
# loading, and every chart has drawn. The h1 alone comes before the charts and tables.
PAGE_READY = (
    "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning' && "
    "!document.querySelector('[data-testid=\"stSkeleton\"]') && "
    "!document.querySelector('[data-testid=\"stStatusWidget\"]') && "
    "[...document.querySelectorAll('.vega-embed')].every(e => e.querySelector('canvas, svg'))"
)


def wait_until_ready(page, timeout_ms: int = 60000) -> None:
    """Wait until the Playwright ``page`` shows a title and ``PAGE_READY`` holds."""
    page.wait_for_selector("h1", timeout=timeout_ms)
    page.wait_for_function(PAGE_READY, timeout=timeout_ms)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App(NamedTuple):
    url: str
    pid: int


@contextmanager
def serve(env: dict[str, str], log: IO | None = None, port: int | None = None) -> Iterator[App]:
    """The app on 127.0.0.1 with ``env`` added to the environment, until the block ends."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1"]
    cmd += ["--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    if env.get("DASHBOARD_MODE") == "public":
        cmd += ["--client.showErrorDetails", "none", "--client.toolbarMode", "viewer"]
    out = log if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.25)
        else:
            raise RuntimeError("streamlit did not start")
        yield App(url, proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)


def wait_for_port(proc: subprocess.Popen, port: int, name: str, seconds: float) -> None:
    """Wait until a server started as ``proc`` accepts connections on loopback ``port`` (at most
    ``seconds``); one that exits first is an error with its stderr."""
    for _ in range(int(seconds / 0.05)):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None:
            raise RuntimeError(f"{name} did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
        time.sleep(0.05)


def stop_group(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a server started in its own session: SIGTERM to its whole process group, then SIGKILL
    if it is not gone within ``timeout`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
