"""The stage contract: one small class, declared columns, batch processing, safe to retry.

A stage never owns sharding, resume or accounting (the runner does). ``process`` returns one
outcome per input record, in order: the (updated) record dict to keep it, ``Rejected`` or
``Errored``. Given the same records and seed it returns the same outcomes, so the runner may
re-run any batch after a crash; paid side effects (model calls) go through the request caches.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from pydantic import ConfigDict, Field

from muri_gen.component import ComponentConfig, Context
from muri_gen.record import Outcome, Rejected


class Resources(ComponentConfig):
    """What one instance of a stage needs from an executor (Ray places its tasks by it)."""

    model_config = ConfigDict(frozen=True)
    cpus: float = Field(default=1, description="CPU cores a worker running the stage reserves (Ray places it by them)")
    gpus: float = Field(default=0, description="GPUs it reserves; a fraction shares one GPU between workers")
    memory_gb: float = Field(default=0, description="memory it reserves, in GB; 0: no reservation")


class StageConfig(ComponentConfig):
    """Base of every stage's recipe options."""

    resources: Resources | None = Field(default=None,
                                        description="what a worker running this stage needs; None: the stage's own "
                                                    "needs and its backends' GPUs")


class Stage:
    name: ClassVar[str]
    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ()
    Config: ClassVar[type[StageConfig]] = StageConfig
    # config field name -> backend kind ("lid", "translator", "llm"); checked against the recipe
    uses_backends: ClassVar[dict[str, str]] = {}
    resources: ClassVar[Resources] = Resources()
    # a barrier stage needs to see every record (in shard order) through fit() before process()
    barrier: ClassVar[bool] = False
    # a sketched barrier stage fits in two steps instead: sketch() per shard, run by the workers of the
    # segment before it as they write the shard (in parallel, any order), then fit_sketches() over the
    # sketches in shard order (one cheap pass that reads no record)
    sketched: ClassVar[bool] = False

    def __init__(self, config: StageConfig, context: Context, stage_id: str | None = None):
        self.config = config
        self.context = context
        self.id = stage_id or self.name  # the recipe id: names stats, state and cache entries

    @classmethod
    def columns(cls, config: StageConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(reads, writes) for this config; override when they depend on options (e.g. translate)."""
        return cls.reads, cls.writes

    @classmethod
    def check(cls, config: StageConfig, context: Context | None) -> list[str]:
        """Recipe-time checks beyond the config schema (e.g. a language pair a backend lacks).

        ``context`` is the validation's (backends configured, none started; None when checked
        alone). Returns error messages; must not load models.
        """
        return []

    def setup(self) -> None:
        """Load models, open caches, read fitted state. Called once per worker before process()."""

    def teardown(self) -> None:
        """Release what setup() took. Called even when processing failed."""

    def fit(self, records: Iterable[dict], state_dir: Path) -> None:
        """Barrier stages only: see every record once and write the decision state to state_dir."""
        raise NotImplementedError(f"{self.name} is not a barrier stage")

    def sketch(self, records: list[dict], path: Path) -> None:
        """Sketched barrier stages: what fit_sketches needs of one shard's records, written to path."""
        raise NotImplementedError(f"{self.name} is not a sketched barrier stage")

    def fit_sketches(self, sketches: list[Path], state_dir: Path) -> None:
        """Sketched barrier stages: read every shard's sketch in shard order, write the decision state."""
        raise NotImplementedError(f"{self.name} is not a sketched barrier stage")

    def process(self, records: list[dict]) -> list[Outcome]:
        raise NotImplementedError


def stage_resources(cls: type[Stage], config: StageConfig, backends: dict) -> Resources:
    """What a worker needs for one stage: the recipe's ``resources`` if given, else the stage's own
    needs with the GPUs of the backends it names (vLLM's tensor_parallel_size, device: cuda).
    A composite backend (router, LLM as translator) does not pass on its members' GPUs: give the
    stage ``resources`` then."""
    if config.resources is not None:
        return config.resources
    used = [backends[ref] for field in cls.uses_backends if (ref := getattr(config, field, None)) in backends]
    gpus = max([cls.resources.gpus] + [backend.cls.gpus(backend.config) for backend in used])
    return cls.resources.model_copy(update={"gpus": gpus})


class FilterStage(Stage):
    """A stage that keeps or drops records one at a time, datatrove style.

    ``keep`` returns True, or ``(False, reason)``, or ``(False, reason, detail)``; it may add
    fields to the record it is given (scores, statistics) before deciding.
    """

    def keep(self, record: dict) -> bool | tuple:
        raise NotImplementedError

    def process(self, records: list[dict]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for record in records:
            verdict = self.keep(record)
            if verdict is True:
                outcomes.append(record)
            else:
                _, reason, *detail = verdict
                outcomes.append(Rejected(reason, detail[0] if detail else {}))
        return outcomes
