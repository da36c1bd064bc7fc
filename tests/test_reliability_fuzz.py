"""A fuzz corpus of malformed input lines through the filter chain: no crash, every line accounted for.

Every non-blank input line must end as exactly one kept, rejected or errored record, and the
valid UDHR documents mixed in must come through as if the junk were not there.
"""
import json
import random
import textwrap


from muri_gen.recipe import load_recipe
from muri_gen.runner import run_recipe
from muri_gen.runner.layout import RunDir

CHAIN = """\
  - {stage: normalize}
  - {stage: language_id, backend: lid}
  - {stage: quality}
  - {stage: pii}
  - {stage: dedup}
"""


def fuzz_lines(valid: list[dict]) -> list[bytes]:
    """Raw lines (without their newline) of a corpus where every kind of breakage appears."""
    rng = random.Random(9)
    spanish = valid[0]["text"]
    rows = [json.dumps(r, ensure_ascii=False).encode() for r in valid]
    rows[0] = b"\xef\xbb\xbf" + rows[0]  # BOM before the first record
    rows[1] = rows[1] + b"\r"  # CRLF line ending
    junk = [
        b'{"id": "bad-utf8", "text": "caf\xe9 con leche, una bebida caliente de la ma\xf1ana"}',
        b'{"id": "overlong-utf8", "text": "\xc0\xaf\xc0\xae"}',
        b'{"id": "truncated", "text": "Todos los seres humanos nacen libres e ig',
        b'{"id": "no-close"',
        b"[1, 2, 3]", b'"a bare string"', b"42", b"null", b"true", b"{}",
        b'{"id": "text-null", "text": null}', b'{"id": "text-int", "text": 42}',
        b'{"id": "text-list", "text": ["Todos", "los"]}', b'{"id": "text-dict", "text": {"es": "Hola"}}',
        b'{"id": "text-nan", "text": NaN}', b'{"id": "text-missing", "body": "Hola"}',
        b'{"id": "text-empty", "text": ""}', b'{"id": "text-blank", "text": " \\t\\n\\u3000 "}',
        b'{"id": "controls", "text": "\\u0000\\u0001\\u0002\\u001b[31m\\u007f"}',
        b'{"id": "surrogate", "text": "Art\\u00edculo \\ud800 uno: todos los seres humanos nacen libres e iguales en dignidad."}',
        b'{"id": "zero-width", "text": "\\u200b\\u200b\\ufeff\\u202e"}',
        b'{"id": "dup-key", "text": "uno", "text": "Toda persona tiene derecho a la libertad de opini\\u00f3n y de expresi\\u00f3n."}',
        b'{"id": ["a", "list"], "text": "Nadie estar\\u00e1 sometido a esclavitud ni a servidumbre; la trata est\\u00e1 prohibida."}',
        b'{"id": null, "text": "Toda persona tiene derecho a la vida, a la libertad y a la seguridad de su persona."}',
        b'{"id": 1e999, "text": "Toda persona tiene derecho a circular libremente y a elegir su residencia."}',
        b'{"id": true, "text": "Toda persona tiene derecho a una nacionalidad y a no ser privada de ella."}',
        b'{"id": "lang-int", "language": 7, "text": "Toda persona tiene derecho a la propiedad, individual y colectivamente."}',
        b"[" * 50_000 + b"]" * 50_000,  # nesting deeper than the JSON parser's recursion limit
        json.dumps({"id": "ten-mb", "text": (spanish + " ") * (10_000_000 // len(spanish.encode()))},
                   ensure_ascii=False).encode(),
        rng.randbytes(3000).replace(b"\n", b"\x00"),  # binary junk on one line
        b"\x00" * 64,
        b'{"id": "emoji", "text": "\\ud83d\\ude00\\ud83d\\ude00 \\u0645\\u0631\\u062d\\u0628\\u0627 \\u4f60\\u597d"}',
    ]
    lines = []
    for i, row in enumerate(rows):
        lines.append(row)
        if i < len(junk):
            lines.append(junk[i])
    lines.extend(junk[len(rows):])
    lines.extend([b"", b"   ", b"\r"])  # blank lines are separators, not records
    return lines


def test_malformed_lines_never_crash_and_are_all_accounted_for(tmp_path, udhr_rows):
    valid = [r for r in udhr_rows if r["language"] in ("spa", "rus", "cmn_hans", "arb")][:24]
    lines = fuzz_lines(valid)
    corpus = tmp_path / "fuzz.jsonl"
    corpus.write_bytes(b"\n".join(lines))  # and no newline after the last line
    records = sum(1 for line in lines if line.strip())
    recipe = tmp_path / "fuzz.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: fuzz
        input: {{path: {corpus}, language_field: language}}
        output: {{dir: {tmp_path / 'out'}}}
        executor: {{shard_size: 10, batch_size: 4}}
        backends:
          lid: {{kind: lid, type: fasttext}}
        stages:
        """) + CHAIN)
    stats = run_recipe(load_recipe(recipe))
    run = RunDir(tmp_path / "out")
    kept = list(run.kept_records())
    rejected = list(run.outcome_records("rejected"))
    errored = list(run.outcome_records("errored"))
    assert stats["input"] == records == len(kept) + len(rejected) + len(errored)
    assert (stats["kept"], stats["rejected"], stats["errored"]) == (len(kept), len(rejected), len(errored))
    outcome_ids = [r["id"] for r in kept + rejected + errored]
    assert len(set(outcome_ids)) == len(outcome_ids), "a record came out twice"

    by_id = {r["id"]: r for r in rejected + errored}
    for broken in ("bad-utf8", "overlong-utf8"):
        assert "invalid UTF-8" in by_id[f"fuzz.jsonl:{[l[:40] for l in lines].index(next(l[:40] for l in lines if broken.encode() in l)) + 1}"]["error"]
    assert by_id["text-null"]["reason"] == "missing_text" and by_id["text-int"]["reason"] == "text_not_a_string"
    assert by_id["text-blank"]["reason"] == "empty_text"
    deep = f"fuzz.jsonl:{lines.index(b'[' * 50_000 + b']' * 50_000) + 1}"
    assert deep in by_id, "the deeply nested line must be accounted for"
    ten_mb = by_id["ten-mb"]
    assert ten_mb["stage"] == "normalize" and ten_mb["reason"] == "too_long"
    # the valid documents survive the junk around them (BOM and CRLF lines included)
    kept_ids = {r["id"] for r in kept}
    assert valid[0]["id"] in kept_ids and valid[1]["id"] in kept_ids
    assert len(kept_ids & {r["id"] for r in valid}) >= len(valid) - 2
    surrogate = next((r for r in kept if r["id"] == "surrogate"), None) or by_id["surrogate"]
    assert "\ud800" not in json.dumps(surrogate, ensure_ascii=False)
    assert all("\x00" not in r["text"] for r in kept)


# -- malformed files and folders, through the command a person types ----------------------------
#
# A seeded generator writes each case; every case ends either accounted for (exit 0, or 3 when
# records errored; input == kept + rejected + errored == the records written) or refused (exit 1,
# one line naming the file). Never a traceback, and nothing outside the output folder changes.

HOSTILE_IDS = ["../../etc/passwd", "/abs/path", "=cmd|' /C calc'!A0", "a\x00b", "\u202eevil\u202e", "x" * 5000, "spa\n", ""]


def _rows(rng: random.Random, valid: list[dict], count: int) -> list[dict]:
    rows = []
    for _ in range(count):
        row = dict(rng.choice(valid))
        if rng.random() < 0.3:
            row["id"] = rng.choice(HOSTILE_IDS) + str(rng.randrange(10**6))
        if rng.random() < 0.2:
            row["text"] = rng.choice(["\x1b[31m", "=1+1 ", "<script>alert(1)</script> ", "\u202e"]) + row["text"]
        rows.append(row)
    return rows


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def _parquet(rows: list[dict]) -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table({"id": [r["id"] for r in rows], "text": [r["text"] for r in rows]}), sink)
    return sink.getvalue()


def fuzz_cases(valid: list[dict], seed: int = 17):
    """(name, {relative path: bytes}, what to read, expected): expected is a record count or the refused file."""
    import gzip

    import zstandard

    rng = random.Random(seed)
    rows = _rows(rng, valid, 30)
    gz, zst, parquet = gzip.compress(_jsonl(rows)), zstandard.ZstdCompressor().compress(_jsonl(rows)), _parquet(rows)
    for cut in sorted(rng.sample(range(12, len(gz) - 9), 3)):  # never the complete stream
        yield f"gz-cut-{cut}", {"c.jsonl.gz": gz[:cut]}, "c.jsonl.gz", "c.jsonl.gz"
    yield "gz-not-gzip", {"c.jsonl.gz": _jsonl(rows)}, "c.jsonl.gz", "c.jsonl.gz"
    yield "zst-cut", {"c.jsonl.zst": zst[: len(zst) // 2]}, "c.jsonl.zst", "c.jsonl.zst"
    flipped = bytearray(zst)
    for i in rng.sample(range(4, len(zst)), 8):
        flipped[i] ^= 0xFF
    yield "zst-flipped", {"c.jsonl.zst": bytes(flipped)}, "c.jsonl.zst", "c.jsonl.zst"
    yield "parquet-cut", {"c.parquet": parquet[: len(parquet) // 2]}, "c.parquet", "c.parquet"
    yield "parquet-junk", {"c.parquet": rng.randbytes(2000)}, "c.parquet", "c.parquet"
    for encoding in ("utf-16", "utf-16-le", "utf-32"):
        yield f"jsonl-{encoding}", {"c.jsonl": _jsonl(rows).decode().encode(encoding, "surrogatepass")}, "c.jsonl", "c.jsonl"
    latin = _jsonl(rows[:10]).decode().encode("latin-1", "replace")
    yield "jsonl-latin1", {"c.jsonl": latin}, "c.jsonl", 10  # line by line: a non-UTF-8 line is errored
    huge = _jsonl(rows[:5]) + b'{"id": "huge", "text": "' + b"a" * 3_000_000 + b'"}\n' + _jsonl(rows[5:9])
    yield "jsonl-huge-line", {"c.jsonl": huge}, "c.jsonl", 10
    yield "jsonl-no-newlines", {"c.jsonl": rng.randbytes(200_000).replace(b"\n", b" ")}, "c.jsonl", 1
    # a folder of every format, some in subfolders, read whole
    folder, expected = {}, 0
    for i in range(8):
        part = _rows(rng, valid, rng.randrange(1, 6))
        kind = rng.choice(["jsonl", "jsonl.gz", "jsonl.zst", "parquet", "json", "txt"])
        where = rng.choice(["", "sub/", "sub/deeper/"])
        if kind == "txt":
            for j, row in enumerate(part):
                folder[f"{where}doc{i}-{j}.txt"] = row["text"].encode()
        else:
            data = {"jsonl": _jsonl, "parquet": _parquet, "json": lambda p: json.dumps(p).encode(),
                    "jsonl.gz": lambda p: gzip.compress(_jsonl(p)),
                    "jsonl.zst": lambda p: zstandard.ZstdCompressor().compress(_jsonl(p))}[kind](part)
            folder[f"{where}part{i}.{kind}"] = data
        expected += len(part)
    yield "mixed-folder", {f"in/{k}": v for k, v in folder.items()}, "in", expected
    yield "folder-with-a-csv", {"in/a.jsonl": _jsonl(rows[:3]), "in/sub/table.csv": b"id,text\n1,x\n"}, "in", "in"
    yield "folder-with-a-utf16-file", {"in/a.jsonl": _jsonl(rows[:3]),
                                       "in/b.jsonl": _jsonl(rows[:3]).decode().encode("utf-16")}, "in", "in/b.jsonl"


def _tree(root) -> dict:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file() and "out" not in p.relative_to(root).parts}


def test_malformed_files_end_accounted_for_or_refused_by_name_never_in_a_traceback(tmp_path, udhr_rows):
    from typer.testing import CliRunner

    from muri_gen.cli import app

    valid = [r for r in udhr_rows if r["language"] in ("spa", "rus", "arb", "eng")]
    cases = list(fuzz_cases(valid))
    assert len(cases) == len({name for name, *_ in cases}) == 17
    for name, files, target, expected in cases:
        case = tmp_path / name
        for relative, data in files.items():
            (case / relative).parent.mkdir(parents=True, exist_ok=True)
            (case / relative).write_bytes(data)
        recipe = case / "recipe.yaml"
        recipe.write_text(textwrap.dedent(f"""\
            name: fuzz
            input: {{path: {case / target}, max_record_bytes: 1048576}}
            output: {{dir: {case / 'out'}}}
            executor: {{shard_size: 7}}
            stages:
              - {{stage: normalize}}
              - {{stage: quality}}
            """))
        before = _tree(case)
        result = CliRunner().invoke(app, ["run", str(recipe)])
        output = result.output
        assert "Traceback" not in output and isinstance(result.exception, (SystemExit, type(None))), (name, output)
        assert _tree(case) == before, f"{name}: a file outside the output folder changed"
        if isinstance(expected, int):
            assert result.exit_code in (0, 3), (name, output)
            stats = json.loads((case / "out" / "stats.json").read_text())
            assert stats["input"] == expected == stats["kept"] + stats["rejected"] + stats["errored"], (name, stats)
            assert (result.exit_code == 3) == (stats["errored"] > 0), name
        else:
            last = output.strip().splitlines()[-1]
            assert result.exit_code == 1 and last.startswith(f"error: {case / expected}"), (name, output)
