"""What a stage or sink gets from the runner: the run folder, the seed, the recipe's backends started."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from muri_gen.backends.base import Backend
from muri_gen.component import StaticContext
from muri_gen.io.memory import MemoryInput
from muri_gen.io.readers import ReadItem, read_records
from muri_gen.recipe import ResolvedRecipe
from muri_gen.runner.layout import RunDir

log = logging.getLogger("muri_gen")


class RunContext(StaticContext):
    def __init__(self, resolved: ResolvedRecipe, run_dir: RunDir, memory: MemoryInput | None = None):
        super().__init__(resolved.backends, resolved.recipe.seed, resolved.recipe.languages)
        self.resolved = resolved
        self._memory = memory  # the input's rows when the Python API holds them
        self.run_dir = run_dir
        self._backends: dict[str, Backend] = {}

    @property
    def cache_dir(self) -> Path:
        return self.run_dir.cache

    def state_dir(self, component_id: str) -> Path:
        return self.run_dir.state_dir(component_id)

    def backend(self, ref: str) -> Backend:
        """The backend the recipe names ``ref``, set up on first use and shared by all stages."""
        if ref not in self._backends:
            component = self.resolved.backends[ref]
            backend = component.cls(component.config, self)
            log.info("starting %s backend %r (%s)", component.kind, ref, component.type)
            backend.setup()
            self._backends[ref] = backend
        return self._backends[ref]

    def input_records(self) -> Iterator[ReadItem]:
        return read_records(self.resolved.recipe.input, self._memory)

    def close(self) -> None:
        for backend in reversed(list(self._backends.values())):
            backend.teardown()
        self._backends.clear()
