"""A full disk and a read-only output folder: a clear error, finished shards intact, then a clean resume.

The output lives on a real small tmpfs (mounted by the test; needs root and CAP_SYS_ADMIN, as on
this machine and in CI containers run as root), so ENOSPC and EROFS come from the kernel, not from
a mock. Without mount rights the test is skipped, not faked.
"""
import json
import logging
import shutil
import subprocess
import textwrap

import pytest
from typer.testing import CliRunner

import tests.toy_stages  # noqa: F401 - registers test stages
from muri_gen.cli import app
from muri_gen.runner.layout import RunDir, read_jsonl

STAGES = ["{stage: normalize}", "{stage: test_min_chars, min_chars: 30}", "{stage: test_slow_upper}"]


def write_recipe(tmp_path, corpus, out, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: disk
        input: {{path: {corpus}}}
        output: {{dir: {out}}}
        executor: {{shard_size: 10, batch_size: 5}}
        stages:
        """) + "".join(f"  - {s}\n" for s in STAGES))
    return path


def run_cli(recipe):
    """``muri-gen run`` in this process; its log file is closed after, so the disk can be remounted."""
    result = CliRunner().invoke(app, ["run", str(recipe)])
    for handler in logging.getLogger().handlers[:]:
        handler.close()
        logging.getLogger().removeHandler(handler)
    return result


def folder_bytes(path):
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def snapshot(out):
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file() and p.name != "run.log"}


def rows(out):
    run = RunDir(out)
    return list(run.kept_records()), sorted(r["id"] for r in run.outcome_records("rejected"))


def assert_finished_shards_intact(out):
    run = RunDir(out)
    for marker in run.work.rglob("*.done"):
        shard = marker.with_suffix(".jsonl")
        list(read_jsonl(shard))  # parses to the last line
        json.loads(marker.with_suffix(".stats.json").read_text())
    assert not list(out.rglob(".*.tmp-*")), "half-written temporary files were left behind"


@pytest.fixture()
def small_disk(tmp_path):
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)")

    def remount(options: str):
        subprocess.run(["mount", "-o", f"remount,{options}", str(mount_point)], check=True)

    yield mount_point, remount
    subprocess.run(["umount", str(mount_point)], check=True)


def test_full_disk_then_read_only_then_resume(tmp_path, small_disk, write_jsonl, udhr_rows):
    mount_point, remount = small_disk
    corpus = write_jsonl(udhr_rows[:150])
    clean = tmp_path / "clean"
    assert run_cli(write_recipe(tmp_path, corpus, clean, "clean")).exit_code == 0
    needed = folder_bytes(clean)
    # room for part of the run only: it must stop with ENOSPC half-way
    remount(f"size={max(needed // 2, 8192)}")
    out = mount_point / "out"
    recipe = write_recipe(tmp_path, corpus, out, "small")
    full = run_cli(recipe)
    assert full.exit_code == 1, full.output
    assert "No space left on device" in full.output and str(out) in full.output
    assert not (out / "stats.json").exists()
    assert_finished_shards_intact(out)
    assert list(RunDir(out).work.rglob("*.done")), "nothing finished before the disk filled up"

    remount("ro")
    before = snapshot(out)
    read_only = run_cli(recipe)
    assert read_only.exit_code == 1 and "Read-only file system" in read_only.output, read_only.output
    assert snapshot(out) == before

    remount(f"rw,size={needed * 4}")
    resumed = run_cli(recipe)
    assert resumed.exit_code == 0, resumed.output
    assert rows(out) == rows(clean)
    assert json.loads((out / "stats.json").read_text())["kept"] == len(rows(clean)[0])
