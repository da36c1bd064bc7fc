"""The runner: accounting adds up, failures stay per record, a killed run resumes without rework."""
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import tests.toy_stages  # noqa: F401 - registers test stages
from muri_gen.recipe import load_recipe
from muri_gen.runner import RunError, RunLock, run_recipe
from muri_gen.runner.layout import RunDir

ROOT = Path(__file__).resolve().parents[1]


def recipe(tmp_path, corpus, stages, shard_size=8, out="out"):
    text = textwrap.dedent(f"""\
        name: t
        input: {{path: {corpus}}}
        output: {{dir: {tmp_path / out}}}
        executor: {{shard_size: {shard_size}, batch_size: 4}}
        stages:
        """) + "".join(f"  - {s}\n" for s in stages)
    path = tmp_path / f"{out}.yaml"
    path.write_text(text)
    return path


def final_rows(out):
    return sorted((r["id"], r.get("upper")) for r in RunDir(out).kept_records())


def test_accounting_adds_up_with_bad_records(tmp_path, write_jsonl, udhr_rows):
    rows = udhr_rows[:40] + ['{"id": "broken"', '{"id": "e", "text": ""}', '{"id": "s", "text": "Corto."}', "[1]"]
    path = recipe(tmp_path, write_jsonl(rows), ["{stage: test_min_chars, min_chars: 20}", "{stage: test_error_every, every: 5}"])
    stats = run_recipe(load_recipe(path))
    assert stats["input"] == 44 == stats["kept"] + stats["rejected"] + stats["errored"]
    assert stats["by_reason"]["read:error"] == 1 and stats["by_reason"]["read:empty_text"] == 1
    assert stats["by_reason"]["read:not_an_object"] == 1 and stats["by_reason"]["test_min_chars:too_short"] >= 1
    run = RunDir(tmp_path / "out")
    assert sum(1 for _ in run.outcome_records("rejected")) == stats["rejected"]
    assert sum(1 for _ in run.outcome_records("errored")) == stats["errored"]
    assert sum(1 for _ in run.kept_records()) == stats["kept"]
    for lang, counts in stats["by_language"].items():
        assert counts["input"] == counts["kept"] + counts["rejected"] + counts["errored"], lang
    assert sum(c["input"] for c in stats["by_language"].values()) == stats["input"]
    assert json.loads((tmp_path / "out" / "stats.json").read_text()) == stats
    assert "test_min_chars" in (tmp_path / "out" / "recipe.yaml").read_text()


def test_each_progress_bar_ends_full_at_the_records_that_reached_its_stage(tmp_path, write_jsonl, udhr_rows, capsys):
    rows = udhr_rows[:30] + [{"id": f"short{i}", "text": "Corto."} for i in range(6)]
    path = recipe(tmp_path, write_jsonl(rows), ["{stage: test_min_chars, min_chars: 20}", "{stage: test_slow_upper}"])
    stats = run_recipe(load_recipe(path))
    passed = stats["by_stage"]["test_min_chars"]["kept"]
    assert passed == 30
    bars = re.findall(r"(test_min_chars|test_slow_upper):[^|]*\|[^|]*\| (\d+/\d+)", capsys.readouterr().err)
    final = dict(bars)  # the last state of each bar
    assert final == {"test_min_chars": "36/36", "test_slow_upper": f"{passed}/{passed}"}


def test_a_crashing_record_is_isolated_by_bisection(tmp_path, write_jsonl, udhr_rows):
    rows = udhr_rows[:16]
    victim = rows[5]["text"][:30]
    path = recipe(tmp_path, write_jsonl(rows), [f"{{stage: test_slow_upper, fail_on: {json.dumps(victim)}}}"])
    stats = run_recipe(load_recipe(path))
    assert stats["errored"] == 1 and stats["kept"] == 15
    (err,) = RunDir(tmp_path / "out").outcome_records("errored")
    assert err["id"] == rows[5]["id"] and err["stage"] == "test_slow_upper" and "cannot handle" in err["error"]


def test_rerun_skips_finished_shards_and_changed_recipe_is_refused(tmp_path, write_jsonl, udhr_rows, caplog):
    path = recipe(tmp_path, write_jsonl(udhr_rows[:30]), ["{stage: test_slow_upper}"])
    first = run_recipe(load_recipe(path))
    marker = RunDir(tmp_path / "out").marker(1, 0)
    stamp = marker.stat().st_mtime_ns
    caplog.set_level("INFO", logger="muri_gen")
    second = run_recipe(load_recipe(path))
    assert marker.stat().st_mtime_ns == stamp
    assert "4 of 4 shards already done" in caplog.text
    assert {k: first[k] for k in ("input", "kept")} == {k: second[k] for k in ("input", "kept")}
    with pytest.raises(RunError, match="different recipe"):
        run_recipe(load_recipe(path, ["executor.shard_size=3"]))


def test_an_input_changed_after_a_run_is_refused_with_what_changed(tmp_path, write_jsonl, udhr_rows):
    corpus = write_jsonl(udhr_rows[:20])
    path = recipe(tmp_path, corpus, ["{stage: test_slow_upper}"])
    assert run_recipe(load_recipe(path))["input"] == 20
    os.utime(corpus)  # touched, same bytes: still the same input
    assert run_recipe(load_recipe(path))["input"] == 20
    write_jsonl(udhr_rows[:60])  # the file grows to 60 lines
    with pytest.raises(RunError, match=r"input: corpus.jsonl changed \(\d+ -> \d+ bytes\)"):
        run_recipe(load_recipe(path))
    write_jsonl(udhr_rows[:19] + [{**udhr_rows[19], "text": udhr_rows[19]["text"][::-1]}])  # same size, other bytes
    with pytest.raises(RunError, match="corpus.jsonl changed \\(same size, different bytes\\)"):
        run_recipe(load_recipe(path))


def test_a_folder_input_gaining_a_file_is_refused(tmp_path, udhr_rows):
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    for i, row in enumerate(udhr_rows[:6]):
        (folder / "sub" / f"{i}.txt").write_text(row["text"], encoding="utf-8")
    path = recipe(tmp_path, folder, ["{stage: test_slow_upper}"])
    assert run_recipe(load_recipe(path))["input"] == 6
    (folder / "late.jsonl").write_text(json.dumps(udhr_rows[7], ensure_ascii=False) + "\n")
    with pytest.raises(RunError, match="input: late.jsonl added"):
        run_recipe(load_recipe(path))


def test_a_mistyped_input_does_not_block_the_folder(tmp_path, write_jsonl, udhr_rows):
    from muri_gen.io.readers import InputError

    good = write_jsonl(udhr_rows[:12])
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(gzip.compress(good.read_bytes())[:-40])  # truncated: the split stops half way
    path = recipe(tmp_path, tmp_path / "nowhere.jsonl", ["{stage: test_slow_upper}"], shard_size=4)
    with pytest.raises(InputError, match="does not exist"):
        run_recipe(load_recipe(path))
    with pytest.raises(InputError, match="broken.jsonl.gz: cannot read it: it ends early"):
        run_recipe(load_recipe(path, [f"input.path={broken}"]))
    stats = run_recipe(load_recipe(path, [f"input.path={good}"]))  # the corrected command
    assert stats["input"] == 12 == stats["kept"]
    assert sorted(r["id"] for r in RunDir(tmp_path / "out").kept_records()) == sorted(r["id"] for r in udhr_rows[:12])


def test_an_output_folder_inside_the_input_folder_is_refused(tmp_path, udhr_rows):
    from muri_gen.recipe import RecipeError

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(udhr_rows[0]["text"], encoding="utf-8")
    path = recipe(tmp_path, folder, ["{stage: test_slow_upper}"], out="docs/out")
    with pytest.raises(RecipeError, match=r"output.dir: .*docs/out is inside the input folder .*docs"):
        load_recipe(path)
    assert not (folder / "out").exists()


def test_retry_errored_completes_records_after_an_outage(tmp_path, write_jsonl, udhr_rows):
    flag = tmp_path / "outage"
    corpus = write_jsonl(udhr_rows[:40])
    stages = [f"{{stage: test_flaky, outage_flag: {flag}}}", "{stage: dedup}", "{stage: test_min_chars}"]
    path = recipe(tmp_path, corpus, stages)
    flag.touch()
    during = run_recipe(load_recipe(path))
    assert during["errored"] == 40 and during["kept"] == 0
    flag.unlink()
    assert run_recipe(load_recipe(path))["errored"] == 40  # a plain re-run keeps finished shards as they are
    after = run_recipe(load_recipe(path), retry_errored=True)
    clean = run_recipe(load_recipe(recipe(tmp_path, corpus, stages, out="clean")))
    assert after["errored"] == 0 and after["kept"] == clean["kept"] > 0
    assert sorted(r["id"] for r in RunDir(tmp_path / "out").kept_records()) == sorted(
        r["id"] for r in RunDir(tmp_path / "clean").kept_records())
    assert list(RunDir(tmp_path / "out").outcome_records("errored")) == []


def test_second_run_on_same_folder_refuses(tmp_path):
    run_dir = RunDir(tmp_path / "out")
    run_dir.create()
    with RunLock(run_dir):
        with pytest.raises(RunError, match="in use by another run"):
            with RunLock(run_dir):
                pass


@pytest.mark.slow
def test_sigkill_half_way_then_resume_gives_identical_rows(tmp_path, write_jsonl, udhr_rows):
    corpus = write_jsonl(udhr_rows[:80])
    gate = tmp_path / "gate"  # held after 24 records: at least three of the ten shards are done, not all
    stages = ["{stage: test_min_chars, min_chars: 30}", "{stage: test_slow_upper, seconds_per_record: 0.05}",
              f"{{stage: test_gate, gate: {gate}, pass_records: 24}}"]
    killed = recipe(tmp_path, corpus, stages, out="killed")
    clean = recipe(tmp_path, corpus, stages, out="clean")
    driver = "import sys, tests.toy_stages; from muri_gen.cli import main; sys.argv[1:] = ['run', sys.argv[1]]; main()"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", driver, str(killed)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    run = RunDir(tmp_path / "killed")
    deadline = time.time() + 120
    while not Path(f"{gate}.waiting").exists():
        assert time.time() < deadline and proc.poll() is None, proc.stdout.read().decode()[-2000:]
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = sorted(p.name for p in run.segment_dir(1).glob("*.done"))
    stamps = {name: (run.segment_dir(1) / name).stat().st_mtime_ns for name in finished}
    assert 3 <= len(finished) < 10
    gate.touch()
    resumed = subprocess.run([sys.executable, "-c", driver, str(killed)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"{len(finished)} of 10 shards already done" in resumed.stderr
    assert all((run.segment_dir(1) / n).stat().st_mtime_ns == t for n, t in stamps.items())
    subprocess.run([sys.executable, "-c", driver, str(clean)], cwd=ROOT, env=env, check=True, capture_output=True)
    assert final_rows(tmp_path / "killed") == final_rows(tmp_path / "clean")
    ids = [r["id"] for r in RunDir(tmp_path / "killed").kept_records()]
    assert len(ids) == len(set(ids))
    assert json.loads((tmp_path / "killed" / "stats.json").read_text())["kept"] == len(ids)
