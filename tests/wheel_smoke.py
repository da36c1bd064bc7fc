"""muri-gen as a user gets it from a package index, used from a folder that is not the checkout.

Builds the sdist and, from it, the wheel (as a release does); installs the wheel with its core
dependencies into a new virtual environment; then, from an empty folder, with nothing of the
checkout on the path: validates pipelines/filter.yaml, runs it with the hub_dataset sink added on
the demo corpus shipped inside the package (quality thresholds, boilerplate patterns and word lists
from the package), traces gender-occupation bias in the kept documents (the package's lexicons),
and checks the exported dataset card (the package's template). Prints each command and its output;
exits non-zero at the first failure. Run by `make wheel-smoke`, which `make test` runs.
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
START = time.monotonic()


class SmokeFailure(Exception):
    pass


def run(command: list[str], cwd: Path, env: dict | None = None, show: int = 25) -> str:
    """Run, print the command and the last ``show`` lines it printed; raise if it fails."""
    print(f"\n[{time.monotonic() - START:5.0f}s] $ {shlex.join(str(part) for part in command)}", flush=True)
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = done.stdout.rstrip().splitlines()
    shown = lines if done.returncode else lines[len(lines) - show:]
    if len(shown) < len(lines):
        print(f"    ... ({len(lines) - len(shown)} lines before)")
    print(textwrap.indent("\n".join(shown), "    "))
    if done.returncode:
        raise SmokeFailure(f"exit code {done.returncode}: {shlex.join(str(part) for part in command)}")
    return done.stdout


def check(condition: bool, what: str) -> None:
    print(f"    {'ok' if condition else 'FAILED'}: {what}")
    if not condition:
        raise SmokeFailure(what)


def smoke(tmp: Path) -> None:
    dist = tmp / "dist"
    run([sys.executable, "-m", "build", "--outdir", dist, ROOT], cwd=tmp, show=1)
    wheel = next(dist.glob("muri_gen-*.whl"))
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=tmp)
    run([venv / "bin" / "pip", "install", "-q", "--disable-pip-version-check", wheel], cwd=tmp, show=0)

    work = tmp / "work"  # an empty folder: the checkout's filters/, release/ and pipelines/ are out of reach
    work.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", TQDM_DISABLE="1", HF_HUB_OFFLINE="1",
               HF_DATASETS_OFFLINE="1", MURI_GEN_CACHE=str(tmp / "cache"))
    where = run(["python", "-c", "import muri_gen.resources as r; print(r.__file__); "
                 "print(r.bundled('data', 'udhr-demo.jsonl'))"], cwd=work, env=env).split()
    check(where[0].startswith(str(venv)), "muri_gen is imported from the new environment, not the checkout")
    sample = where[1]

    recipe = yaml.safe_load((ROOT / "pipelines" / "filter.yaml").read_text(encoding="utf-8"))
    recipe["sinks"].append({"sink": "hub_dataset"})
    (work / "filter.yaml").write_text(yaml.safe_dump(recipe, sort_keys=False, allow_unicode=True), encoding="utf-8")
    print("\npipelines/filter.yaml, with the hub_dataset sink added, copied to work/filter.yaml")

    run(["muri-gen", "validate", "filter.yaml"], cwd=work, env=env)
    run(["muri-gen", "run", "filter.yaml", "--input", sample, "--output", "out"], cwd=work, env=env)
    stats = json.loads((work / "out" / "stats.json").read_text())
    funnel = {key: stats[key] for key in ("input", "kept", "rejected", "errored") if key in stats}
    print(f"    funnel: {funnel}")
    check(stats.get("kept", 0) > 0 and stats.get("errored", 1) == 0, "documents kept, none errored")
    reasons = json.dumps(stats)
    check("too_few_words" in reasons, "the quality stage rejected with the package's thresholds (too_few_words)")
    card = work / "out" / "dataset" / "README.md"
    check(card.is_file() and "## How it was made" in card.read_text(encoding="utf-8"),
          "out/dataset/README.md rendered from the package's card template")
    body = card.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
    print(textwrap.indent("\n".join(body.strip().splitlines()[:6]), "    | ", lambda line: True))

    run(["muri-gen", "bias", "trace", "--input", "out/filtered/records.parquet", "--lang-field", "language",
         "--ci-samples", "0", "--output", "trace.json"], cwd=work, env=env)
    spanish = json.loads((work / "trace.json").read_text(encoding="utf-8"))["languages"].get("es", {})
    check(spanish.get("occupations_total", 0) > 0 and spanish.get("texts", 0) > 0,
          "the Spanish documents counted against the package's occupation and gender lexicons")

    kept = run(["python", "-c", "import json, sys; from muri_gen import Recipe; "
                "rows = [json.loads(line) for line in open(sys.argv[1], encoding='utf-8') if line.strip()]; "
                "print(Recipe.from_yaml('filter.yaml').run(input=rows, output='out-api').stats['kept'])", sample],
               cwd=work, env=env).split()[-1]
    check(kept == str(stats["kept"]), "the Python API keeps what the command kept, from the same rows held in memory")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="muri-gen-wheel-") as folder:
        print(f"wheel smoke test in {folder}")
        try:
            smoke(Path(folder))
        except (SmokeFailure, StopIteration, OSError, ValueError) as exc:
            print(f"\nWHEEL SMOKE TEST FAILED after {time.monotonic() - START:.0f}s: {exc!r}", flush=True)
            return 1
    print(f"\nwheel smoke test passed in {time.monotonic() - START:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
