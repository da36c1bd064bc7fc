"""The floor under stages, sinks and backends: one strict config base and the narrow context they get.

It imports nothing else of muri_gen, so the recipe, the runner, stages, sinks and backends all stand
on it and imports run one way (recipe -> stages -> runner -> recipe used to be a circle).

A component gets its context one way: StaticContext while a recipe is checked, the runner's
RunContext in a run, StartedContext outside a run (backends its caller started, a cache folder).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict


class ComponentConfig(BaseModel):
    """Options of a stage, sink or backend, or a recipe section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class Component:
    """One validated stage, sink or backend: its recipe id, class and typed config."""

    id: str
    type: str
    cls: type
    config: BaseModel
    kind: str = ""  # backends only


class Context(Protocol):
    """What a stage, sink or backend gets from a run; the rest of the recipe stays with the runner."""

    seed: int
    languages: list[str] | None  # ISO 639-3 codes the recipe targets; None = whatever LID finds

    @property
    def cache_dir(self) -> Path: ...

    def state_dir(self, component_id: str) -> Path:
        """Where a barrier stage's fit() wrote its decisions."""
        ...

    def configured_backend(self, ref: str) -> Component | None:
        """The recipe's backend ``ref`` as configured (class and options, nothing started): for checks."""
        ...

    def backend(self, ref: str) -> Any:
        """The backend the recipe names ``ref``, started on first use and shared by all stages."""
        ...

    def input_records(self) -> Iterator[Any]:
        """The run's input read again from its start, in input order, each row as the runner read it
        (``io.readers.ReadItem``: a record, or why it was refused): for a sink that answers for every
        input row, rows refused on reading included, which the run folder keeps apart from the rest."""
        ...


class StaticContext:
    """The context of recipe validation: backends can be configured and checked, never started."""

    def __init__(self, backends: dict[str, Component], seed: int = 0, languages: list[str] | None = None):
        self.backends = backends
        self.seed = seed
        self.languages = languages

    @property
    def cache_dir(self) -> Path:
        raise RuntimeError("recipe validation has no run folder")

    def state_dir(self, component_id: str) -> Path:
        raise RuntimeError("recipe validation has no run folder")

    def configured_backend(self, ref: str) -> Component | None:
        return self.backends.get(ref)

    def backend(self, ref: str) -> Any:
        raise RuntimeError(f"backend {ref!r} cannot start while the recipe is validated")

    def input_records(self) -> Iterator[Any]:
        raise RuntimeError("recipe validation reads no input")


class StartedContext(StaticContext):
    """The context of a component used outside a run (a benchmark, a test): the caller hands over the
    backends it started itself, by recipe ref, and the folder the component's caches go to."""

    def __init__(self, started: dict[str, Any], cache_dir: Path, seed: int = 0, languages: list[str] | None = None):
        super().__init__({}, seed, languages)
        self.started = started
        self._cache_dir = Path(cache_dir)

    @property
    def cache_dir(self) -> Path:
        return self._cache_dir

    def state_dir(self, component_id: str) -> Path:
        raise RuntimeError(f"{component_id} needs a run folder for its fitted state: use it inside a run")

    def backend(self, ref: str) -> Any:
        if ref not in self.started:
            raise KeyError(f"no started backend {ref!r} was handed over (have: {', '.join(self.started) or 'none'})")
        return self.started[ref]
