"""Two runs started on the same output folder at once: the second refuses, the first is not disturbed."""
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from muri_gen.runner.layout import RunDir

ROOT = Path(__file__).resolve().parents[1]
DRIVER = "import sys, tests.toy_stages; from muri_gen.cli import main; sys.argv[1:] = ['run', *sys.argv[1:]]; main()"


def start(*args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1"}
    return subprocess.Popen([sys.executable, "-c", DRIVER, *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_a_second_run_on_a_busy_folder_refuses_and_the_first_finishes_intact(tmp_path, write_jsonl, udhr_rows):
    recipe = tmp_path / "r.yaml"
    gate = tmp_path / "gate"  # the first run waits after its first shard until the test opens this
    recipe.write_text(textwrap.dedent(f"""\
        name: lock
        input: {{path: {write_jsonl(udhr_rows[:60])}}}
        output: {{dir: {tmp_path / 'out'}}}
        executor: {{shard_size: 10, batch_size: 5}}
        stages:
          - {{stage: test_slow_upper, seconds_per_record: 0.01}}
          - {{stage: test_gate, gate: {gate}, pass_records: 10}}
        """))
    first = start(recipe)
    run = RunDir(tmp_path / "out")
    deadline = time.time() + 120
    while not Path(f"{gate}.waiting").exists():
        assert first.poll() is None and time.time() < deadline, first.communicate()[1][-2000:]
        time.sleep(0.02)
    assert any(run.segment_dir(1).glob("*.done"))
    same = start(recipe)
    changed = start(recipe, "--set", "executor.shard_size=3")  # a different recipe must not get in either
    for second in (same, changed):
        _, err = second.communicate(timeout=120)
        assert second.returncode == 1, err[-2000:]
        assert f"is in use by another run (pid {first.pid})" in err
    assert first.poll() is None, "the first run should still be working"
    gate.touch()
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err[-2000:]
    rows = list(run.kept_records())
    assert [r["id"] for r in rows] == [r["id"] for r in udhr_rows[:60]]
    assert all(r["upper"] == r["text"].upper() for r in rows)
    assert run.read_stats()["kept"] == 60
