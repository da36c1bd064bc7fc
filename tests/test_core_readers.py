"""Every reader on real text; bad records come out as rejected/errored items, never lost."""
import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from muri_gen.io.readers import InputError, read_records
from muri_gen.recipe import InputConfig
from muri_gen.record import Errored, Rejected


def read(path, **options):
    return list(read_records(InputConfig(path=str(path), **options)))


def texts(items):
    return [i.record["text"] for i in items if i.outcome is None]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst"])
def test_jsonl_plain_and_compressed(tmp_path, udhr_rows, suffix):
    payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in udhr_rows[:20]).encode()
    path = tmp_path / f"corpus{suffix}"
    if suffix.endswith(".gz"):
        payload = gzip.compress(payload)
    elif suffix.endswith(".zst"):
        payload = zstandard.ZstdCompressor().compress(payload)
    path.write_bytes(payload)
    items = read(path)
    assert texts(items) == [r["text"] for r in udhr_rows[:20]]
    assert [i.record["id"] for i in items] == [r["id"] for r in udhr_rows[:20]]


def test_parquet_with_custom_fields(tmp_path, udhr_rows):
    table = pa.table({"doc": [r["text"] for r in udhr_rows], "key": [r["id"] for r in udhr_rows],
                      "lang": [r["language"] for r in udhr_rows]})
    pq.write_table(table, tmp_path / "c.parquet", row_group_size=50)
    items = read(tmp_path / "c.parquet", text_field="doc", id_field="key", language_field="lang")
    assert len(items) == len(udhr_rows)
    assert items[0].record["declared_language"] == udhr_rows[0]["language"]
    assert texts(items) == [r["text"] for r in udhr_rows]


def test_text_folder_ids_are_relative_paths(tmp_path, udhr_rows):
    (tmp_path / "docs" / "ru").mkdir(parents=True)
    for i, row in enumerate(udhr_rows[:5]):
        (tmp_path / "docs" / "ru" / f"{i}.txt").write_text(row["text"], encoding="utf-8")
    (tmp_path / "docs" / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
    items = read(tmp_path / "docs", format="text_folder")
    assert sorted(i.record["id"] for i in items if i.outcome is None) == [f"ru/{i}.txt" for i in range(5)]
    (bad,) = [i for i in items if i.outcome is not None]
    assert bad.record["id"] == "bad.txt" and "invalid UTF-8" in bad.outcome.error


def test_hf_dataset_saved_to_disk(tmp_path, udhr_rows):
    import datasets

    datasets.Dataset.from_list(udhr_rows[:30]).save_to_disk(tmp_path / "ds")
    items = read(tmp_path / "ds")
    assert texts(items) == [r["text"] for r in udhr_rows[:30]]


def test_missing_ids_are_stable_and_unique(tmp_path, write_jsonl, udhr_rows):
    path = write_jsonl([{"text": udhr_rows[0]["text"]}, {"text": udhr_rows[0]["text"]}, {"text": udhr_rows[1]["text"]}])
    ids = [item.record["id"] for item in read(path)]
    assert len(set(ids)) == 3  # two copies of one text are two records
    assert [item.record["id"] for item in read(path)] == ids  # a re-read (a resumed run) gives the same ids


def test_bad_records_become_outcomes_with_reasons(tmp_path, udhr_rows):
    lines = [
        json.dumps(udhr_rows[0], ensure_ascii=False).encode(),
        b'{"id": "trunc", "text": "Todos los ser',
        b'["not", "an", "object"]',
        b'{"id": "nulltext", "text": null}',
        b'{"id": "numtext", "text": 42}',
        b'{"id": "blank", "text": " \\t "}',
        b'{"id": "notext"}',
        b'\xff\xfe\xfa junk',
        "\ufeff".encode() + json.dumps({"id": "bom", "text": "Con BOM al principio."}).encode(),
        b'{"id": "crlf", "text": "Windows line end."}\r',
    ]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    items = read(path)
    assert len(items) == len(lines)
    outcome = {i.record["id"]: i.outcome for i in items}
    assert isinstance(outcome["bad.jsonl:2"], Errored) and "invalid JSON" in outcome["bad.jsonl:2"].error
    assert outcome["bad.jsonl:3"] == Rejected("not_an_object", {"type": "list"})
    assert outcome["nulltext"].reason == "missing_text"
    assert outcome["numtext"].reason == "text_not_a_string"
    assert outcome["blank"].reason == "empty_text"
    assert outcome["notext"].reason == "missing_text"
    assert "invalid UTF-8" in outcome["bad.jsonl:8"].error
    assert outcome["bom"] is None and outcome["crlf"] is None


def test_oversized_record_is_errored_not_loaded(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"id": "big", "text": "x" * 2_000_000}) + "\n")
    (item,) = read(path, max_record_bytes=1_000_000)
    assert isinstance(item.outcome, Errored) and "max_record_bytes" in item.outcome.error


def test_limit(tmp_path, write_jsonl, udhr_rows):
    assert len(read(write_jsonl(udhr_rows), limit=3)) == 3


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read(tmp_path / "nowhere")


def test_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no input files"):
        read(tmp_path / "empty")


def test_a_folder_of_mixed_formats_and_subfolders_is_read_whole_in_a_stable_order(tmp_path, udhr_rows):
    folder = tmp_path / "mixed"
    (folder / "b" / "deep").mkdir(parents=True)
    rows = udhr_rows[:41]
    (folder / "a.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[:10]))
    pq.write_table(pa.table({"id": [r["id"] for r in rows[10:20]], "text": [r["text"] for r in rows[10:20]]}),
                   folder / "b" / "c.parquet")
    for i, row in enumerate(rows[20:25]):
        (folder / "b" / "deep" / f"{i}.txt").write_text(row["text"], encoding="utf-8")
    (folder / "d.json").write_text(json.dumps(rows[25:30], ensure_ascii=False, indent=2))  # one JSON array
    (folder / "e.json.gz").write_bytes(gzip.compress(json.dumps(rows[30], indent=2).encode()))  # one object
    (folder / "f.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(
        "".join(json.dumps(r) + "\n" for r in rows[31:41]).encode()))
    (folder / "README.md").write_text("# about this corpus\n")
    items = read(folder)
    assert len(items) == 41 and all(i.outcome is None for i in items)
    assert sorted(texts(items)) == sorted(r["text"] for r in rows)
    assert [i.record["id"] for i in items] == [i.record["id"] for i in read(folder)]
    assert {i.record["id"] for i in items if i.record["id"].startswith("b/")} == {f"b/deep/{i}.txt" for i in range(5)}


def test_a_folder_with_a_file_it_cannot_read_is_refused_by_name(tmp_path, udhr_rows):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(udhr_rows[0]["text"], encoding="utf-8")
    (folder / "table.csv").write_text("id,text\n1,hola\n")
    with pytest.raises(InputError, match=r"docs: the folder holds 1 files it cannot read .*: table.csv"):
        read(folder)
    with pytest.raises(InputError, match=r"files that are not parquet: a.txt"):
        read(folder, format="parquet")


def test_a_json_file_that_is_not_json_lines_is_one_document(tmp_path, udhr_rows):
    (tmp_path / "one.json").write_text(json.dumps(udhr_rows[0], ensure_ascii=False, indent=2))
    (item,) = read(tmp_path / "one.json")
    assert item.outcome is None and item.record["id"] == udhr_rows[0]["id"]
    # JSON Lines named .json whose first line is broken: still read line by line, nothing lost
    (tmp_path / "lines.json").write_text('{"id": "x", "te\n' + json.dumps(udhr_rows[1]) + "\n")
    first, second = read(tmp_path / "lines.json")
    assert "invalid JSON on line 1 at column" in first.outcome.error and second.outcome is None


def test_a_huge_line_is_errored_without_being_held_whole(tmp_path, udhr_rows):
    path = tmp_path / "huge.jsonl"
    path.write_bytes(b'{"id": "huge", "text": "' + b"a" * 3_000_000 + b'"}\n' + json.dumps(udhr_rows[0]).encode())
    huge, ok = read(path, max_record_bytes=4096)
    assert "3000027 bytes, over input.max_record_bytes" in huge.outcome.error and ok.outcome is None


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_a_utf16_or_32_file_gets_an_encoding_hint_and_no_phantom_record(tmp_path, udhr_rows, encoding):
    path = tmp_path / "wide.jsonl"
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in udhr_rows[:3]).encode(encoding))
    with pytest.raises(InputError, match=r"wide.jsonl: not UTF-8; it looks UTF-(16|32)-encoded: convert it"):
        read(path)


def test_a_file_of_an_unknown_format_is_refused_naming_the_formats_that_exist(tmp_path):
    (tmp_path / "table.csv").write_text("id,text\n1,hola\n")
    with pytest.raises(InputError) as info:
        read(tmp_path / "table.csv")
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'table.csv'}: cannot tell the format from its name; muri-gen reads JSON Lines")
    assert "input.format: auto, jsonl, parquet, text_folder, hf_disk or hf_hub" in message
    assert set(InputConfig.model_fields["format"].annotation.__args__) - {"memory"} == {  # memory: set by the Python API
        "auto", "jsonl", "parquet", "text_folder", "hf_disk", "hf_hub"}  # the values the message names


@pytest.mark.parametrize("broken", ["cut", "junk"])
@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst", ".parquet"])
def test_a_truncated_or_corrupt_file_stops_the_read_naming_it(tmp_path, udhr_rows, suffix, broken):
    rows = udhr_rows[:50]
    if suffix == ".parquet":
        sink = tmp_path / "whole.parquet"
        pq.write_table(pa.table({"id": [r["id"] for r in rows], "text": [r["text"] for r in rows]}), sink)
        payload = sink.read_bytes()
    else:
        payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
        payload = gzip.compress(payload) if suffix.endswith(".gz") else zstandard.ZstdCompressor().compress(payload)
    path = tmp_path / f"corpus{suffix}"
    path.write_bytes(payload[: len(payload) * 2 // 3] if broken == "cut" else b"\x00junk" + payload[5:])
    with pytest.raises(InputError, match=rf"^{path}: cannot read it: "):
        read(path)
