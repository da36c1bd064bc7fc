"""A minimal DevTools-protocol client for Debian's headless Chromium (tests of the report area).

It records what a page logs (console calls, uncaught exceptions, browser log entries) and every
network request, and takes screenshots; enough to check that report.html renders offline and
cleanly, and to drive the rating form.
"""
from __future__ import annotations

import base64
import json
import subprocess
import time
import urllib.request
from contextlib import ExitStack
from itertools import count
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--remote-debugging-port=0",
         "--remote-allow-origins=*", "--window-size=1280,1000"]


class Page:
    def __init__(self, ws):
        self.ws = ws
        self.ids = count(1)
        self.console: list[dict] = []  # every console call and uncaught exception, with its level
        self.requests: list[str] = []

    def call(self, method: str, timeout: float = 60, **params) -> dict:
        ident = next(self.ids)
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.record(message)

    def record(self, event: dict) -> None:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            self.console.append({"level": params["type"], "text": " ".join(str(a.get("value", a.get("description")))
                                                                          for a in params.get("args", []))})
        elif method == "Runtime.exceptionThrown":
            self.console.append({"level": "exception", "text": params["exceptionDetails"].get("text", "")
                                 + str(params["exceptionDetails"].get("exception", {}).get("description", ""))})
        elif method == "Log.entryAdded":
            self.console.append({"level": params["entry"]["level"], "text": params["entry"].get("text", "")})
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Page.loadEventFired":
            self.loaded = True

    def open(self, url: str, settle: float = 0.5) -> None:
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.call(f"{domain}.enable")
        self.loaded = False
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 60
        while not self.loaded and time.monotonic() < deadline:
            self.record(json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic()))))
        end = time.monotonic() + settle  # late console messages
        while time.monotonic() < end:
            try:
                self.record(json.loads(self.ws.recv(timeout=end - time.monotonic())))
            except TimeoutError:
                break

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=full_page)["data"]
        path.write_bytes(base64.b64decode(data))
        return path


class Chromium:
    """``with Chromium(tmp_path) as browser: page = browser.page()``; a fresh profile every time."""

    def __init__(self, workdir: Path):
        self.profile = workdir / "chromium-profile"
        self.connections = ExitStack()

    def __enter__(self) -> Chromium:
        self.profile.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        self.port = int(port_file.read_text().split()[0])
        return self

    def page(self) -> Page:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=30) as response:
            targets = [t for t in json.loads(response.read()) if t["type"] == "page"]
        return Page(self.connections.enter_context(connect(targets[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=30)))

    def __exit__(self, *exc) -> None:
        self.connections.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
