"""Bad input and failing backends: empty text, English, unsupported languages, an Apertium
process that hangs, dies or answers wrongly. Faults are injected by small stand-in executables
for the ``apertium`` command (a real Apertium cannot be made to hang on demand)."""
import json
import stat
import textwrap
import time
from pathlib import Path

import pytest

from muri_gen.backends.translate.apertium import ApertiumTranslator
from muri_gen.recipe import load_recipe
from muri_gen.runner import run_recipe
from muri_gen.runner.layout import RunDir
from muri_gen.translation.documents import DocumentTranslator, TranslatorUnavailable

REAL = ApertiumTranslator.Config()


def fake_apertium(tmp_path, body: str) -> str:
    """An executable answering ``-l`` like Apertium and doing ``body`` for a translation."""
    path = tmp_path / "apertium"
    path.write_text(f"#!/bin/bash\nif [ \"$1\" = -l ]; then echo spa-eng; exit 0; fi\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def backend(binary: str, **options) -> ApertiumTranslator:
    return ApertiumTranslator(ApertiumTranslator.Config(binary=binary, **options))


def test_a_hanging_process_is_killed_retried_and_reported(tmp_path):
    pids = tmp_path / "pids"
    hang = backend(fake_apertium(tmp_path, f"sleep 30 & echo $! >> {pids}; wait"), timeout_seconds=0.3, retries=1)
    started = time.monotonic()
    with pytest.raises(TranslatorUnavailable, match=r"did not answer within 0.3s \(2 attempts\)"):
        hang.translate_batch(["Hola."], "spa", "eng")
    assert time.monotonic() - started < 25  # waiting the hang out would take 30 s
    # the whole pipeline was killed, not only the script that started it (SIGKILL lands when the
    # orphaned child is next scheduled, so give a loaded machine a moment before looking)
    for pid in pids.read_text().split():
        deadline = time.monotonic() + 10
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(pid), Path(f"/proc/{pid}/status").read_text()[:200]


def _gone(pid: str) -> bool:
    try:
        return "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    except FileNotFoundError:
        return True


def test_a_process_that_dies_is_retried_then_fails_with_its_message(tmp_path):
    counter = tmp_path / "calls"
    dying = backend(fake_apertium(tmp_path, f"echo x >> {counter}; echo 'segfault in lt-proc' >&2; exit 139"), retries=2)
    with pytest.raises(RuntimeError, match="exited with 139: segfault in lt-proc"):
        dying.translate_batch(["Hola."], "spa", "eng")
    assert counter.read_text().count("x") == 3


def test_a_process_that_recovers_on_retry_succeeds(tmp_path):
    counter = tmp_path / "calls"
    flaky = backend(fake_apertium(tmp_path, f"echo x >> {counter}; [ $(wc -l < {counter}) -lt 2 ] && exit 1; "
                                            "exec /usr/bin/apertium \"$@\""), retries=2)
    assert flaky.translate_batch(["Hola mundo."], "spa", "eng") == ["Hello World."]


def test_lost_lines_and_empty_output(tmp_path):
    short = backend(fake_apertium(tmp_path, "head -n 1"), retries=0)
    with pytest.raises(RuntimeError, match="returned 1 lines for 2 segments"):
        short.translate_batch(["Uno.", "Dos."], "spa", "eng")
    # through the document layer: the batch is bisected, each segment then comes back alone
    assert DocumentTranslator(short).translate(["Uno. Dos."], "spa", "eng")[0].text == "Uno. Dos."
    (tmp_path / "blank").mkdir()
    blank = backend(fake_apertium(tmp_path / "blank", "sed 's/.*//'"), retries=0)
    result = DocumentTranslator(blank).translate(["Uno. Dos."], "spa", "eng")[0]
    assert result.text is None and "empty translation" in result.error


def test_missing_binary_or_pair_is_named(tmp_path):
    missing = backend(str(tmp_path / "no-such-apertium"))
    assert not missing.supports("spa", "eng")
    with pytest.raises(TranslatorUnavailable, match="Apertium binary .* is not installed"):
        missing.translate_batch(["Hola."], "spa", "eng")
    with pytest.raises(TranslatorUnavailable, match="no Apertium pair installed for deu->eng"):
        ApertiumTranslator(REAL).translate_batch(["Hallo."], "deu", "eng")


def test_a_bad_segment_errors_only_its_document(tmp_path):
    poisoned = backend(fake_apertium(tmp_path, "input=$(cat); if grep -q VENENO <<< \"$input\"; then exit 1; fi; "
                                               "exec /usr/bin/apertium \"$@\" <<< \"$input\""), retries=0)
    documents = DocumentTranslator(poisoned)
    results = documents.translate(["Hola mundo.", "Esto lleva VENENO dentro. Y algo más.", "Buenos días."], "spa", "eng")
    assert [r.text for r in results] == ["Hello World.", None, "Good morning."]
    assert "1 of 2 segments failed" in results[1].error and "exited with 1" in results[1].error


def run_stage(tmp_path, rows, binary="apertium", timeout=30):
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    (tmp_path / "r.yaml").write_text(textwrap.dedent(f"""\
        name: t
        input: {{path: {tmp_path / 'in.jsonl'}, language_field: language}}
        output: {{dir: {tmp_path / 'out'}}}
        backends:
          mt: {{kind: translator, type: apertium, binary: {binary}, retries: 0, timeout_seconds: {timeout}}}
        stages:
          - {{stage: translate, translator: mt, language_field: declared_language}}
        """))
    stats = run_recipe(load_recipe(tmp_path / "r.yaml"))
    run = RunDir(tmp_path / "out")
    return stats, {r["id"]: r for r in run.kept_records()}, run


def test_the_stage_skips_english_rejects_unsupported_and_errors_on_a_hang(tmp_path, udhr_rows):
    spanish = next(r for r in udhr_rows if r["id"] == "udhr-spa-article-1")
    english = next(r for r in udhr_rows if r["id"] == "udhr-eng-article-1")
    rows = [spanish, english, {"id": "de", "text": "Alle Menschen sind frei.", "language": "deu"},
            {"id": "unk", "text": "Hola.", "language": "zz-top"}]
    stats, kept, _ = run_stage(tmp_path / "ok", rows)
    assert stats["kept"] == 2 and stats["by_reason"] == {
        "translate:unsupported_language": 1, "translate:unknown_language": 1}
    assert kept[english["id"]]["text_en"] == english["text"]
    assert kept[english["id"]]["translation_en"] == {"skipped": "already_english"}
    assert kept[spanish["id"]]["text_en"].startswith("All the human beings are born free")
    assert kept[spanish["id"]]["translation_en"]["backend"] == "apertium"

    (tmp_path / "hang").mkdir()
    stats, kept, run = run_stage(tmp_path / "hang", [spanish], fake_apertium(tmp_path / "hang", "sleep 30"), timeout=0.5)
    assert stats["errored"] == 1
    errored = list(run.outcome_records("errored"))
    assert "did not answer" in json.dumps(errored)
