"""A headless Chromium driven over the DevTools protocol on a pipe.

Chromium's ``--remote-debugging-pipe`` reads commands on file descriptor 3
and writes replies and events on 4, each a JSON object ended by a NUL
byte. That needs no WebSocket library and no browser download: the tests
use Debian's ``chromium`` (installed by ``scripts/setup-venv``).

``Browser.open(url)`` loads a page and records what the page did:
console messages, uncaught exceptions, log entries (CSP violations land
there) and every network request that was not the page itself or a
``data:`` URL.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Optional


def chromium_path() -> Optional[str]:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageRecord:
    url: str
    load_seconds: float
    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error-level log entries."""
        out = [json.dumps(e) for e in self.exceptions]
        out += [json.dumps(c) for c in self.console if c.get("type") in ("error", "assert")]
        out += [json.dumps(e) for e in self.log if e.get("level") == "error"]
        return out

    @property
    def network(self) -> list[str]:
        """Requests other than the page itself and inline data."""
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]


def _onto_3_and_4(read_end: int, write_end: int) -> None:
    """In the child: the command pipe on fd 3 and the reply pipe on 4 (via
    high copies first, so that neither overwrites the other)."""
    high_r = os.dup2(read_end, 100)
    high_w = os.dup2(write_end, 101)
    os.dup2(high_r, 3, inheritable=True)
    os.dup2(high_w, 4, inheritable=True)


class Browser:
    """One headless Chromium process and one page (tab)."""

    def __init__(self, width: int = 1280, height: int = 900, timeout: float = 60.0):
        path = chromium_path()
        if path is None:
            raise RuntimeError("chromium is not installed (scripts/setup-venv installs it)")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="repscope-chromium-")
        cmd_r, cmd_w = os.pipe()  # we write commands, chromium reads fd 3
        out_r, out_w = os.pipe()  # chromium writes fd 4, we read
        self.proc = subprocess.Popen(
            [
                path, "--headless", "--no-sandbox", "--disable-gpu",
                "--remote-debugging-pipe", "--no-first-run",
                "--disable-background-networking", "--disable-extensions",
                "--disable-sync", "--disable-default-apps",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            # The child's fds 3 and 4 must survive close_fds, which runs
            # after preexec_fn.
            pass_fds=(3, 4),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=lambda: _onto_3_and_4(cmd_r, out_w),
        )
        os.close(cmd_r)
        os.close(out_w)
        self.writer = os.fdopen(cmd_w, "wb", buffering=0)
        self.reader = os.fdopen(out_r, "rb", buffering=0)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width,
                  height=height, deviceScaleFactor=1, mobile=False)

    def _message(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no reply from chromium")
            chunk = self.reader.read(1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed its DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.writer.write(json.dumps(message).encode() + b"\0")
        while True:
            reply = self._message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _wait_for(self, method: str) -> dict[str, Any]:
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while True:
            e = self._message()
            if e.get("method") == method:
                return e
            self.events.append(e)

    def open(self, url: str) -> PageRecord:
        """Loads url, waits for its load event and returns what happened."""
        self.events.clear()
        start = time.monotonic()
        self.call("Page.navigate", session=True, url=url)
        self._wait_for("Page.loadEventFired")
        seconds = time.monotonic() - start
        # Let scripts run that the load event started, then drain events.
        self.evaluate("new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")
        record = PageRecord(url=url, load_seconds=seconds)
        for e in self.events:
            p = e.get("params", {})
            m = e.get("method")
            if m == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                record.console.append({"type": p.get("type"), "text": text})
            elif m == "Runtime.exceptionThrown":
                record.exceptions.append(p.get("exceptionDetails", {}))
            elif m == "Log.entryAdded":
                record.log.append(p.get("entry", {}))
            elif m == "Network.requestWillBeSent":
                record.requests.append(p.get("request", {}).get("url", ""))
        return record

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression (promises awaited)."""
        reply = self.call("Runtime.evaluate", session=True, expression=expression,
                          returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression!r} threw {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def screenshot(self, full_page: bool = True) -> bytes:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"],
                              "height": min(size["height"], 8000), "scale": 1}
        data = self.call("Page.captureScreenshot", session=True, **params)["data"]
        return base64.b64decode(data)

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.writer.close()
        self.reader.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
