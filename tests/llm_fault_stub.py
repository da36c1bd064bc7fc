"""A tiny OpenAI-compatible server that injects the faults a real server cannot be made to produce
on demand: HTTP 500/429/400, malformed JSON, a response cut in half, a stall, and an HTTP 401
whose error body echoes the credentials it was sent (as some servers do).

Each request pops the next fault from ``faults`` (empty: answer normally). A normal answer asks
about the document's first words, so the tests can check which document it answers.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FaultStub:
    def __init__(self, faults: list[str] | None = None, stall_seconds: float = 60.0):
        self.faults = list(faults or [])
        self.stall_seconds = stall_seconds
        self.received = 0
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet test output
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stub._lock:
                    stub.received += 1
                    fault = stub.faults.pop(0) if stub.faults else "ok"
                stub.answer(self, fault, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FaultStub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, handler: BaseHTTPRequestHandler, fault: str, body: dict) -> None:
        if fault in ("500", "429", "400"):
            return self._send(handler, int(fault), b'{"error": {"message": "injected"}}')
        if fault == "echo":
            sent = handler.headers.get("Authorization")
            return self._send(handler, 401, json.dumps({"error": {"message": f"invalid credentials: {sent}"}}).encode())
        if fault == "stall":
            time.sleep(self.stall_seconds)
            return
        document = body["messages"][-1]["content"].split("Text:\n", 1)[-1]
        first_words = " ".join(document.split()[:4])
        choices = [{"index": i, "message": {"role": "assistant", "content": f"Instruction: What does '{first_words}' mean?"}}
                   for i in range(body.get("n", 1))]
        payload = json.dumps({"choices": choices, "usage": {"prompt_tokens": 10, "completion_tokens": 8}}).encode()
        if fault == "malformed":
            return self._send(handler, 200, payload[: len(payload) // 2])  # complete HTTP, broken JSON
        if fault == "cut":  # announces the whole body, sends half, closes the connection
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload[: len(payload) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            return
        self._send(handler, 200, payload)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
