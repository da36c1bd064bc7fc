"""input.path as an fsspec URL, through fsspec's in-memory and local filesystems (s3://, gs://,
hf:// and https:// go through the same code with their own filesystem libraries): the same
records as the local path, compressed files and folders of files, the same refusals (unreadable
files, cut files, other encodings), a full run whose resume notices a changed file, and no
credentials in the recipe the run folder keeps."""
import gzip
import json
import textwrap
import uuid

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from muri_gen.io.readers import InputError, read_records
from muri_gen.recipe import InputConfig, RecipeError, load_recipe
from muri_gen.runner import RunError, run_recipe
from muri_gen.runner.layout import RunDir


def records(path, **options):
    return [(item.record, item.outcome) for item in read_records(InputConfig(path=str(path), **options))]


@pytest.fixture()
def memory_root():
    """A fresh folder on fsspec's process-wide in-memory filesystem, removed afterwards."""
    root = f"memory://corpus-{uuid.uuid4().hex}"
    yield root
    fs = fsspec.filesystem("memory")
    if fs.exists(root):
        fs.rm(root, recursive=True)


def jsonl(rows) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


@pytest.mark.parametrize("suffix, pack", [(".jsonl", bytes), (".jsonl.gz", gzip.compress),
                                          (".jsonl.zst", zstandard.ZstdCompressor().compress)])
def test_a_jsonl_url_reads_like_the_local_file(tmp_path, memory_root, udhr_rows, suffix, pack):
    local = tmp_path / f"udhr{suffix}"
    local.write_bytes(pack(jsonl(udhr_rows)))
    with fsspec.open(f"{memory_root}/udhr{suffix}", "wb") as fh:
        fh.write(pack(jsonl(udhr_rows)))
    expected = records(local, language_field="language")
    assert len(expected) == len(udhr_rows) and all(outcome is None for _, outcome in expected)
    assert records(f"{memory_root}/udhr{suffix}", language_field="language") == expected
    assert records(f"file://{local}", language_field="language") == expected


def test_a_url_prefix_is_read_whole_like_a_local_folder(tmp_path, memory_root, udhr_rows):
    local = tmp_path / "data"
    (local / "docs").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(udhr_rows[:40]), local / "part-0.parquet")
    pq.write_table(pa.Table.from_pylist(udhr_rows[40:80]), local / "part-1.parquet")
    (local / "docs" / "one.txt").write_text(udhr_rows[80]["text"], encoding="utf-8")
    (local / "README.md").write_text("about the data")
    for file in local.rglob("*"):
        if file.is_file():
            fsspec.filesystem("memory").pipe(f"{memory_root}/data/{file.relative_to(local)}", file.read_bytes())
    read = records(f"{memory_root}/data")
    assert [r["id"] for r, _ in read] == ["docs/one.txt"] + [r["id"] for r in udhr_rows[:80]]
    assert read == records(local)


def test_a_cut_or_wide_url_file_is_refused_naming_it(memory_root, udhr_rows):
    packed = zstandard.ZstdCompressor().compress(jsonl(udhr_rows[:50]))
    fsspec.filesystem("memory").pipe(f"{memory_root}/cut.jsonl.zst", packed[: len(packed) * 2 // 3])
    with pytest.raises(InputError, match=rf"^{memory_root}/cut.jsonl.zst: cannot read it: it ends early"):
        records(f"{memory_root}/cut.jsonl.zst")
    fsspec.filesystem("memory").pipe(f"{memory_root}/wide.jsonl", jsonl(udhr_rows[:3]).decode().encode("utf-16"))
    with pytest.raises(InputError, match="wide.jsonl: not UTF-8; it looks UTF-16-encoded"):
        records(f"{memory_root}/wide.jsonl")
    huge = b'{"id": "huge", "text": "' + b"a" * 100_000 + b'"}\n' + jsonl(udhr_rows[:1])
    fsspec.filesystem("memory").pipe(f"{memory_root}/huge.jsonl", huge)
    (_, too_big), (_, fine) = records(f"{memory_root}/huge.jsonl", max_record_bytes=4096)
    assert "100027 bytes, over input.max_record_bytes" in too_big.error and fine is None


def test_a_run_from_a_url(tmp_path, memory_root, udhr_rows):
    with fsspec.open(f"{memory_root}/udhr.jsonl", "wb") as fh:
        fh.write(jsonl(udhr_rows[:30]))
    (tmp_path / "r.yaml").write_text(textwrap.dedent(f"""\
        name: url
        input: {{path: "{memory_root}/udhr.jsonl", language_field: language}}
        output: {{dir: {tmp_path / 'out'}}}
        executor: {{shard_size: 8}}
        stages:
          - {{stage: normalize}}
        """))
    stats = run_recipe(load_recipe(tmp_path / "r.yaml"))
    assert stats["input"] == stats["kept"] == 30
    assert [r["id"] for r in RunDir(tmp_path / "out").kept_records()] == [r["id"] for r in udhr_rows[:30]]
    assert all(r["source_dataset"] == "udhr" for r in RunDir(tmp_path / "out").kept_records())
    assert run_recipe(load_recipe(tmp_path / "r.yaml"))["input"] == 30  # resumed: the same file
    with fsspec.open(f"{memory_root}/udhr.jsonl", "wb") as fh:  # rewritten, same size: a new version
        fh.write(jsonl(udhr_rows[:29] + [{**udhr_rows[29], "text": udhr_rows[29]["text"][::-1]}]))
    with pytest.raises(RunError, match=r"input: udhr.jsonl changed \(same size, different version\)"):
        run_recipe(load_recipe(tmp_path / "r.yaml"))


def test_url_problems_are_clear(tmp_path, memory_root):
    with pytest.raises(InputError, match="input URL does not exist"):
        records(f"{memory_root}/missing.jsonl")
    fsspec.filesystem("memory").pipe(f"{memory_root}/notes/a.txt", b"plain text")
    fsspec.filesystem("memory").pipe(f"{memory_root}/notes/table.csv", b"id,text")
    with pytest.raises(InputError, match=r"notes: the folder holds 1 files it cannot read .*: table.csv"):
        records(f"{memory_root}/notes")
    with pytest.raises(InputError, match=r"notes: the folder holds 2 files that are not jsonl: a.txt, table.csv"):
        records(f"{memory_root}/notes", format="jsonl")
    with pytest.raises(InputError, match="read from a local folder only"):
        records(f"{memory_root}/notes", format="hf_disk")
    (tmp_path / "r.yaml").write_text(textwrap.dedent(f"""\
        name: url
        input: {{path: "https://reader:s3cret@example.org/corpus.jsonl"}}
        output: {{dir: {tmp_path / 'out'}}}
        stages: [{{stage: normalize}}]
        """))
    with pytest.raises(RecipeError, match="credentials") as raised:
        load_recipe(tmp_path / "r.yaml")
    assert "s3cret" not in str(raised.value)
