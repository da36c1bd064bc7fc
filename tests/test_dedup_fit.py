"""The dedup fit (``stages/dedup_fit.py``) against the rule it implements, written here as the plain
in-order loop: a record is a duplicate of the earliest kept record with its words (exact) or sharing
an LSH band with it and agreeing on at least the threshold of its MinHash rows (near); only kept
records are ever compared with. Real documents: the UDHR bench corpus (2-4 articles of one
declaration, 2% exact copies, many documents sharing articles), with a record of three of its
languages, copies relabelled into another language and records that repeat an earlier one's id."""
import json
import random
from collections import defaultdict

import numpy as np
import pytest

from muri_gen.bench.filtering import build_corpus
from muri_gen.stages import dedup, dedup_fit

LANGUAGES = ["spa", "por", "cat"]


@pytest.fixture(scope="module")
def sketched(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sketches")
    corpus = build_corpus(3000, folder / "udhr-docs.jsonl")
    rng = random.Random(7)
    records = []
    for line in open(corpus, encoding="utf-8"):
        record = json.loads(line)
        record["language"] = rng.choices(LANGUAGES, weights=[8, 1, 1])[0]
        records.append(record)
    for _ in range(60):  # the same text under another language, and an id given twice
        records.append({**rng.choice(records), "id": f"relabelled-{len(records)}", "language": rng.choice(LANGUAGES)})
        records.append({**rng.choice(records)})
    # a text dropped as a near duplicate (edited) then copied into two other languages: in Catalan
    # it meets a kept edit of its own; in Portuguese it meets nothing and is kept
    words = records[0]["text"].split(" ")
    edited = " ".join(words[:3] + ["EDITED"] + words[4:])
    for name, text, language in [("original", records[0]["text"], "spa"), ("edited", edited, "spa"),
                                 ("other-edit", " ".join(words[:10] + ["OTHER"] + words[11:]), "cat"),
                                 ("edited-cat", edited, "cat"), ("edited-por", edited, "por"),
                                 ("edited-por-again", edited, "por"), ("edited-spa-again", edited, "spa")]:
        records.append({"id": f"story-{name}", "text": text, "language": language})
    stage = dedup.Deduplicate(dedup.DedupConfig(repeated_line_min_docs=20), None)
    paths = []
    for start in range(0, len(records), 400):
        paths.append(folder / f"sketch-{start:05d}.npz")
        stage.sketch(records[start:start + 400], paths[-1])
    return paths


def the_rule(paths, config: dedup.DedupConfig) -> tuple[list[dict], list[bool]]:
    """Duplicate rows as the stage writes them, and per record whether its lines count."""
    plan = dedup_fit.FitPlan(work="", records=0, num_perm=config.num_perm, bands=config.bands,
                             threshold=config.threshold, exact=config.exact, near=config.near)
    ids, languages, exact, signatures = [], [], [], []
    for path in paths:
        with np.load(path) as sketch:
            ids += sketch["ids"].tolist()
            languages += sketch["languages"].tolist()
            exact += sketch["exact"].tolist()
            signatures.append(sketch["signatures"])
    signatures = np.concatenate(signatures)
    seeds = np.array([dedup.stable_hash(lang) for lang in languages], dtype=np.uint64)
    keys = np.stack([dedup_fit.band_keys(plan, band, signatures, seeds) for band in range(plan.bands)], axis=1)
    kept_words: dict[int, int] = {}
    buckets: dict[int, list[int]] = defaultdict(list)
    rows, counts_lines = [], []
    for record in range(len(ids)):
        original = None
        if config.exact and exact[record] in kept_words:
            original = {"duplicate_of": ids[kept_words[exact[record]]], "kind": "exact"}
        elif config.near:
            for other in sorted({o for key in keys[record].tolist() for o in buckets[key]}):
                agree = np.count_nonzero(signatures[other] == signatures[record])
                if agree / config.num_perm >= config.threshold:
                    original = {"duplicate_of": ids[other], "kind": "near", "similarity": round(agree / config.num_perm, 3)}
                    break
        if original is None:
            kept_words[exact[record]] = record
            for key in keys[record].tolist():
                buckets[key].append(record)
        elif original["duplicate_of"] != ids[record]:
            rows.append({"id": ids[record], **original})
        counts_lines.append(original is None or original["duplicate_of"] == ids[record])
    return rows, counts_lines


def fitted(paths, folder, config, **limits) -> list[dict]:
    plan, target, agree = dedup_fit.fit(paths, folder, limits.pop("processes", 1), num_perm=config.num_perm,
                                        bands=config.bands, threshold=config.threshold, exact=config.exact,
                                        near=config.near, **limits)
    with open(folder / "duplicates.jsonl", "w", encoding="utf-8") as out:
        dedup_fit.write_duplicates(plan, target, agree, out)
    return [json.loads(line) for line in open(folder / "duplicates.jsonl", encoding="utf-8")]


@pytest.mark.parametrize("exact,near", [(True, True), (False, True), (True, False)])
def test_the_fit_drops_what_the_in_order_rule_drops(sketched, tmp_path, exact, near):
    config = dedup.DedupConfig(exact=exact, near=near)
    expected, _ = the_rule(sketched, config)
    kinds = {row["kind"] for row in expected}
    assert len(expected) > 200 and (kinds == {"exact", "near"} if exact and near else True)
    assert fitted(sketched, tmp_path / "default", config) == expected
    # every bucket left to the resolution, the records in 7 blocks and the keys in 5 partitions
    assert fitted(sketched, tmp_path / "small", config, small_bucket=2, block=512, partition_rows=700) == expected


def test_copies_across_languages_follow_the_rule(sketched, tmp_path):
    """The exact match crosses languages, the near one does not: a copy of a dropped text is looked
    at in its own language, and once kept there it is what later copies repeat."""
    expected, _ = the_rule(sketched, dedup.DedupConfig())
    story = {row["id"]: (row["duplicate_of"], row["kind"]) for row in expected if row["id"].startswith("story-")}
    assert story == {"story-original": ("doc-0", "exact"), "story-edited": ("doc-0", "near"),
                     "story-edited-cat": ("story-other-edit", "near"),
                     "story-edited-por-again": ("story-edited-por", "exact"),
                     "story-edited-spa-again": ("story-edited-por", "exact")}
    assert fitted(sketched, tmp_path / "fit", dedup.DedupConfig(), small_bucket=4) == expected
    assert fitted(sketched, tmp_path / "small", dedup.DedupConfig(), small_bucket=2) == expected


def test_the_band_pass_in_processes_gives_the_same_fit(sketched, tmp_path):
    config = dedup.DedupConfig()
    expected, _ = the_rule(sketched, config)
    assert fitted(sketched, tmp_path / "fit", config, processes=2, block=1000) == expected


def test_the_stage_writes_the_rule_and_its_template_lines(sketched, tmp_path):
    config = dedup.DedupConfig(repeated_line_min_docs=20)
    expected, counts_lines = the_rule(sketched, config)
    dedup.Deduplicate(config, None).fit_sketches(sketched, tmp_path)
    rows = [json.loads(line) for line in open(tmp_path / dedup.DUPLICATES_FILE, encoding="utf-8")]
    assert rows == expected
    assert not (tmp_path / "fit").exists()  # the work folder is removed
    documents: dict[int, int] = defaultdict(int)
    record = 0
    for path in sketched:
        with np.load(path) as sketch:
            for keys in np.split(sketch["line_keys"], np.cumsum(sketch["line_counts"])[:-1]):
                if counts_lines[record]:
                    for key in keys.tolist():
                        documents[key] += 1
                record += 1
    repeated = sorted(key for key, count in documents.items() if count >= 20)
    assert repeated and json.loads((tmp_path / dedup.REPEATED_LINES_FILE).read_text()) == repeated


def test_a_failed_band_process_fails_the_fit_with_its_error(tmp_path):
    plan = dedup_fit.FitPlan(work=str(tmp_path), records=10, num_perm=64, bands=16, threshold=0.8, exact=False,
                             near=True)  # no arrays gathered: every child fails to read them
    with pytest.raises(RuntimeError, match=r"(?s)2 of 2 band processes failed.*signatures\.npy"):
        dedup_fit._band_pass(plan, 2)
