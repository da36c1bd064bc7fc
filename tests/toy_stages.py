"""Test-only stages and a sink for exercising the runner without models: registered into STAGES
and SINKS on import.

They transform real text deterministically, so resumed and uninterrupted runs can be compared.
The gates hold a run at a point the test controls, so a kill or a second run is known to land
mid-run however fast or loaded the machine is.
"""
import time
from pathlib import Path

from muri_gen.record import Errored
from muri_gen.sinks import SINKS, Sink
from muri_gen.stages import STAGES, FilterStage, Stage, StageConfig


class MinCharsConfig(StageConfig):
    min_chars: int = 20


class MinChars(FilterStage):
    name = "test_min_chars"
    writes = ("n_chars",)
    Config = MinCharsConfig

    def keep(self, record):
        record["n_chars"] = len(record["text"])
        return True if record["n_chars"] >= self.config.min_chars else (False, "too_short", {"chars": record["n_chars"]})


class SlowUpperConfig(StageConfig):
    seconds_per_record: float = 0.0
    fail_on: str | None = None  # a substring that makes process() raise, to test isolation


class SlowUpper(Stage):
    name = "test_slow_upper"
    writes = ("upper",)
    Config = SlowUpperConfig

    def process(self, records):
        import os

        # a cluster test slows one Ray node by starting it with this variable set
        slowdown = float(os.environ.get("MURI_TEST_SLOWDOWN", "1"))
        out = []
        for record in records:
            time.sleep(self.config.seconds_per_record * slowdown)
            if self.config.fail_on and self.config.fail_on in record["text"]:
                raise ValueError(f"cannot handle {record['id']}")
            out.append({**record, "upper": record["text"].upper()})
        return out


class ErrorEveryConfig(StageConfig):
    every: int = 7


class ErrorEvery(Stage):
    """Returns Errored for ids whose hash hits a modulus: a stage that reports per-record errors."""

    name = "test_error_every"
    Config = ErrorEveryConfig

    def process(self, records):
        from muri_gen.record import stable_hash

        return [Errored("simulated backend failure") if stable_hash(r["id"]) % self.config.every == 0 else r
                for r in records]


class FlakyConfig(StageConfig):
    outage_flag: str  # while this file exists, every record "hits the outage" and errors


class Flaky(Stage):
    """Errors every record while an outage flag file exists: a backend that is down, then back."""

    name = "test_flaky"
    writes = ("served",)
    Config = FlakyConfig

    def process(self, records):
        import os

        if os.path.exists(self.config.outage_flag):
            return [Errored("connection refused (simulated outage)") for _ in records]
        return [{**r, "served": True} for r in records]


def wait_at_gate(gate: str) -> None:
    """Block until the file ``gate`` exists; ``<gate>.waiting`` tells the test the run got here."""
    path = Path(gate)
    if not path.exists():
        Path(f"{gate}.waiting").touch()
    while not path.exists():
        time.sleep(0.01)


class GateConfig(StageConfig):
    gate: str  # the run waits here until this file exists
    pass_records: int = 0  # records let through (per process) before the gate holds the next batch


class Gate(Stage):
    name = "test_gate"
    Config = GateConfig

    def setup(self):
        self.passed = 0

    def process(self, records):
        if self.passed >= self.config.pass_records:
            wait_at_gate(self.config.gate)
        self.passed += len(records)
        return records


class CrashWorkerConfig(StageConfig):
    substring: str  # a record whose text contains this ends the whole worker process (a native crash, the OOM killer)


class CrashWorker(Stage):
    name = "test_crash_worker"
    Config = CrashWorkerConfig

    def process(self, records):
        import os

        if any(self.config.substring in r["text"] for r in records):
            os._exit(1)  # no exception for bisection to catch: the process is gone
        return records


class GateSinkConfig(StageConfig):
    gate: str


class GateSink(Sink):
    """Waits at the end of the sinks: a run cannot finish before the test opens the gate."""

    name = "test_gate"
    Config = GateSinkConfig

    def write(self, run):
        wait_at_gate(self.config.gate)


for cls in (MinChars, SlowUpper, ErrorEvery, Flaky, Gate, CrashWorker):
    STAGES[cls.name] = f"{__name__}:{cls.__name__}"
SINKS[GateSink.name] = f"{__name__}:{GateSink.__name__}"
