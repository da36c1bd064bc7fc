"""Running a coroutine from synchronous code, also where an event loop already runs in this thread.

Jupyter and IPython run every cell inside their own event loop, as an async application runs its
code, and ``asyncio.run`` refuses to start a second loop there. Blocking that loop is what a
synchronous call does anyway, so the coroutine runs on a new loop in a thread of its own, and the
caller waits for it: no ``nest_asyncio`` patching of the caller's loop.
"""
from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_coroutine(coroutine: Coroutine[object, object, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop in this thread: the ordinary case (the command line, a script)
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="muri-gen-loop") as pool:
        return pool.submit(asyncio.run, coroutine).result()
