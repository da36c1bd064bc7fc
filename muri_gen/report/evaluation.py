"""Human evaluation as MURI did it: native speakers rate pairs 1-5 on three criteria.

``export_sheets`` writes, per language, a CSV and an offline HTML form (no network; its button
saves the ratings as a CSV with the same columns). ``import_sheets`` reads filled CSVs back,
checks every value, and computes per language and criterion the mean with a 95% Student-t
confidence interval; ``write_scores`` stores them at OUT/eval/scores.json for the report and card.
"""
from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from collections.abc import Iterator
from html import escape
from pathlib import Path

from muri_gen.report.collect import HashSample, language_name
from muri_gen.runner.layout import RunDir, write_atomic

CRITERIA = ("alignment", "instruction_correctness", "output_correctness")
DESCRIPTIONS = {
    "alignment": "Does the output (document) answer the instruction?",
    "instruction_correctness": "Is the instruction fluent, correct and natural in this language?",
    "output_correctness": "Is the output (document) fluent, correct and natural in this language?",
}
COLUMNS = ("item", "id", "language", "instruction", "output", *CRITERIA, "comment")
SCORES_FILE = Path("eval") / "scores.json"


# A cell a spreadsheet would run as a formula (OWASP "CSV injection"); "'" is guarded too, so that
# ``sheet_value`` undoes ``sheet_cell`` exactly and an id reads back as itself.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def sheet_cell(value):
    """A value as a CSV cell: text a spreadsheet would evaluate gets a leading "'" (shown, never run)."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def sheet_value(cell: str) -> str:
    """The value a cell written by ``sheet_cell`` (or the HTML form) stands for."""
    return cell[1:] if cell.startswith("'") else cell


class EvalError(ValueError):
    """A sheet that cannot be read back (missing column, a score outside 1-5, a pair from another run)."""


def candidate_id(record_id: str, index: int) -> str:
    """The rating id of one candidate instruction of a pair."""
    return f"{record_id}#{index}"


def rateable_pairs(run: RunDir, candidates: bool = False) -> Iterator[dict]:
    """The run's kept pairs as {id, document, language, instruction, output, their English sides, signals};
    with ``candidates``, every candidate instruction the post-filter passed (scored by the curate stage)
    as a pair of its own."""
    for row in run.kept_records():
        if not isinstance(row.get("instruction"), str) or not row["instruction"].strip():
            continue
        base = {"document": row["id"], "language": row.get("language", "und"), "output": row.get("text"),
                "document_en": row.get("text_en")}
        curation = row.get("curation") or {}
        if candidates and row.get("candidates"):
            scored = {c["index"]: c.get("signals") for c in curation.get("candidates") or []}
            for index, candidate in enumerate(row["candidates"]):
                if (candidate.get("postfilter") or {}).get("passed") and candidate.get("instruction"):
                    yield {**base, "id": candidate_id(row["id"], index), "instruction": candidate["instruction"],
                           "instruction_en": candidate.get("instruction_en"), "signals": scored.get(index)}
        else:
            yield {**base, "id": row["id"], "instruction": row["instruction"], "instruction_en": row.get("instruction_en"),
                   "signals": curation.get("signals")}


def sample_pairs(run: RunDir, per_lang: int, langs: list[str] | None = None, seed: int = 0,
                 candidates: bool = False) -> dict[str, list[dict]]:
    """Up to per_lang pairs per language: a deterministic random sample."""
    samples: dict[str, HashSample] = {}
    for pair in rateable_pairs(run, candidates):
        code = pair["language"]
        if langs and code not in langs:
            continue
        samples.setdefault(code, HashSample(per_lang, f"eval-{seed}-{code}")).offer(pair["id"], pair)
    return {code: sample.items() for code, sample in sorted(samples.items())}


def export_sheets(run: RunDir, out: Path, per_lang: int = 30, langs: list[str] | None = None, seed: int = 0,
                  candidates: bool = False) -> list[Path]:
    pairs = sample_pairs(run, per_lang, langs, seed, candidates)
    if not pairs:
        wanted = f" in {', '.join(langs)}" if langs else ""
        raise EvalError(f"{run.root} has no kept rows with an instruction{wanted}: nothing to rate")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for code, rows in pairs.items():
        items = [{"item": i + 1, "id": r["id"], "language": code, "instruction": r["instruction"], "output": r["output"]}
                 for i, r in enumerate(rows)]
        csv_path = out / f"{code}.csv"
        with open(csv_path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, COLUMNS)
            writer.writeheader()
            writer.writerows({k: sheet_cell(v) for k, v in item.items()} for item in items)
        html_path = out / f"{code}.html"
        html_path.write_text(form(code, items), encoding="utf-8")
        written += [csv_path, html_path]
    return written


def form(code: str, items: list[dict]) -> str:
    """An offline rating form; "Save ratings" downloads a CSV that ``import_sheets`` reads."""
    rows = []
    for item in items:
        n = item["item"]
        radios = "".join(
            f'<td class=r>{"".join(f"<label><input type=radio name=c{n}-{c} value={v}>{v}</label> " for v in range(1, 6))}</td>'
            for c in CRITERIA)
        rows.append(f"<tr><td>{n}</td><td class=t dir=auto>{escape(item['instruction'])}</td><td class=t dir=auto>{escape(item['output'])}</td>"
                    f"{radios}<td><textarea name=c{n}-comment rows=3></textarea></td></tr>")
    criteria = "".join(f"<li><b>{c}</b>: {escape(DESCRIPTIONS[c])}</li>" for c in CRITERIA)
    data = json.dumps(items, ensure_ascii=False).replace("</", "<\\/")
    return f"""<!DOCTYPE html><html lang="{escape(code)}"><head><meta charset="utf-8">
<title>Rating sheet {escape(code)}</title><style>
body{{font-family:system-ui,sans-serif;margin:1rem 2rem}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3rem;vertical-align:top}}td.t{{white-space:pre-wrap;max-width:28rem}}
td.r{{white-space:nowrap}}label{{margin-right:.2rem}}</style></head><body>
<h1>Rating sheet: {escape(code)} ({escape(language_name(code))}), {len(items)} pairs</h1>
<p>Rate each pair from 1 (very poor) to 5 (excellent). Leave a pair blank if you cannot judge it.
Your choices are kept in this browser while you work; press "Save ratings" at the end and send back the CSV file.</p>
<ul>{criteria}</ul>
<table><thead><tr><th>#</th><th>instruction</th><th>output</th>{"".join(f"<th>{c.replace('_', ' ')}</th>" for c in CRITERIA)}<th>comment</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<p><button id=save type=button>Save ratings (CSV)</button></p>
<script id=items type="application/json">{data}</script>
<script>
const items = JSON.parse(document.getElementById("items").textContent);
const criteria = {json.dumps(list(CRITERIA))};
const columns = {json.dumps(list(COLUMNS))};
function quote(v) {{ v = String(v ?? ""); if (/^[=+\\-@\\t\\r']/.test(v)) v = "'" + v;  // as sheet_cell does
  return /[",\\n\\r]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v; }}
function ratingsCSV() {{
  const lines = [columns.join(",")];
  for (const item of items) {{
    const row = {{...item}};
    for (const c of criteria) {{
      const picked = document.querySelector(`input[name="c${{item.item}}-${{c}}"]:checked`);
      row[c] = picked ? picked.value : "";
    }}
    row.comment = document.querySelector(`textarea[name="c${{item.item}}-comment"]`).value;
    lines.push(columns.map(k => quote(row[k])).join(","));
  }}
  return lines.join("\\r\\n") + "\\r\\n";
}}
// keep work across reloads: the form's state lives in this browser's storage, per sheet
const storageKey = "muri-gen-rating-" + {json.dumps(code)} + "-" + items.length + "-" + items[0].id;
function store() {{
  const state = {{}};
  for (const el of document.querySelectorAll("input:checked, textarea")) state[el.name] = el.value;
  try {{ localStorage.setItem(storageKey, JSON.stringify(state)); }} catch (e) {{ /* storage disabled: nothing kept */ }}
}}
function restore() {{
  let state = null;
  try {{ state = JSON.parse(localStorage.getItem(storageKey) || "null"); }} catch (e) {{ state = null; }}
  if (!state) return;
  for (const [name, value] of Object.entries(state)) {{
    for (const el of document.getElementsByName(name)) {{
      if (el.type === "radio") el.checked = el.value === value;
      else el.value = value;
    }}
  }}
}}
restore();
document.addEventListener("change", store);
document.addEventListener("input", store);
document.getElementById("save").addEventListener("click", () => {{
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([ratingsCSV()], {{type: "text/csv"}}));
  link.download = "{escape(code)}-rated.csv";
  link.click();
}});
</script></body></html>"""


def _csv_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.csv")))
        elif path.is_file():
            files.append(path)
        else:
            raise EvalError(f"{path}: no such file or folder")
    if not files:
        raise EvalError(f"no .csv sheets in {', '.join(map(str, paths))}")
    return files


def read_ratings(paths: list[Path], known_ids: set[str] | None = None) -> tuple[list[dict], int]:
    """Every rated pair of every sheet, checked. Returns (ratings, number of sheets)."""
    ratings: list[dict] = []
    files = _csv_files(paths)
    for path in files:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            # spreadsheets in many locales save with ";" (or tabs): take the header's separator
            header = fh.readline()
            fh.seek(0)
            reader = csv.DictReader(fh, delimiter=max(",;\t", key=header.count))
            missing = [c for c in ("id", "language", *CRITERIA) if c not in (reader.fieldnames or [])]
            if missing:
                raise EvalError(f"{path}: missing column(s) {', '.join(missing)}; export sheets with `muri-gen eval export`")
            for line, row in enumerate(reader, start=2):
                scores = {}
                for criterion in CRITERIA:
                    raw = (row.get(criterion) or "").strip()
                    if not raw:
                        continue
                    try:
                        value = float(raw)
                    except ValueError:
                        value = math.nan
                    if not (value.is_integer() and 1 <= value <= 5):
                        raise EvalError(f"{path}:{line}: {criterion} must be a whole number from 1 to 5, got {raw!r}")
                    scores[criterion] = int(value)
                if not scores:
                    continue  # the rater skipped this pair
                pair_id = sheet_value(row["id"])
                if known_ids is not None and pair_id not in known_ids:
                    raise EvalError(f"{path}:{line}: pair {pair_id!r} is not a kept row of this run (a sheet from another run?)")
                ratings.append({"id": pair_id, "language": sheet_value(row["language"]), **scores,
                                "comment": sheet_value((row.get("comment") or "").strip())})
    return ratings, len(files)


def rated_pairs(run: RunDir, paths: list[Path]) -> tuple[list[dict], int]:
    """The run's pairs that the sheets rate on alignment and instruction, with their texts, curate signals
    and ratings: what a calibration is fitted to, kept as a JSONL file it can be fitted again from."""
    pairs = {pair["id"]: pair for candidates in (False, True) for pair in rateable_pairs(run, candidates)}
    ratings, sheets = read_ratings(paths, set(pairs))
    rated = [{"sample": run.root.name, **pairs[r["id"]], "ratings": {c: r[c] for c in CRITERIA if c in r},
              "comment": r["comment"]}
             for r in ratings if pairs[r["id"]].get("signals") and "alignment" in r and "instruction_correctness" in r]
    if not rated:
        raise EvalError("no rated pair has both alignment and instruction ratings and curate signals: run the recipe "
                        "with a curate stage, export sheets from it, rate both criteria")
    return rated, sheets


def merge_rated(earlier: list[dict], new: list[dict]) -> tuple[list[dict], int]:
    """``earlier`` then the pairs of ``new`` not rated before (same language, document and instruction:
    another run can keep a pair again, and its sheet carries the earlier rating); and how many were dropped."""
    def key(pair: dict) -> tuple:
        return pair["language"], (pair.get("output") or "").strip(), (pair.get("instruction") or "").strip()

    seen = {key(p) for p in earlier}
    fresh = []
    for pair in new:
        if key(pair) not in seen:
            seen.add(key(pair))
            fresh.append(pair)
    return earlier + fresh, len(new) - len(fresh)


def read_rated_pairs(path: Path) -> list[dict]:
    """Rated pairs written by ``eval calibrate --save-pairs``, checked line by line."""
    rated = []
    with open(path, encoding="utf-8") as fh:
        for line_number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                pair = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalError(f"{path}:{line_number}: not JSON ({exc.msg})") from None
            missing = [k for k in ("id", "language", "signals", "ratings") if k not in pair]
            if missing or not {"alignment", "instruction_correctness"} <= set(pair.get("ratings") or {}):
                raise EvalError(f"{path}:{line_number}: a rated pair needs id, language, signals and alignment and "
                                f"instruction_correctness ratings (missing: {', '.join(missing) or 'ratings'})")
            rated.append(pair)
    return rated


def calibrate(rated: list[dict], base: str, name: str, sheets: int = 0, seed: int = 0):
    """A calibration of the curate stage fitted to rated pairs, of one run or several (``sample``
    names the run; see muri_gen.curation.calibrate)."""
    from muri_gen.curation.calibrate import RatedPair, fit
    from muri_gen.curation.request_form import request_form
    from muri_gen.curation.score import load_calibration

    pairs = [RatedPair(r["id"], r["language"], r["signals"], r["ratings"]["alignment"],
                       r["ratings"]["instruction_correctness"],
                       f'{r.get("sample", "")}/{r.get("document") or r["id"].split("#")[0]}',  # runs reuse ids
                       request_form(r.get("instruction_en")))
             for r in rated]
    return fit(pairs, load_calibration(base), name, sheets, seed)


def mean_ci(values: list[int], confidence: float = 0.95) -> dict:
    """Mean and Student-t confidence interval, clipped to 1-5 (None bounds with fewer than two ratings)."""
    from scipy import stats

    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return {"n": n, "mean": round(mean, 3), "ci_low": None, "ci_high": None}
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = stats.t.ppf((1 + confidence) / 2, n - 1) * sd / math.sqrt(n)
    # clipped to the scale: a bound outside 1-5 says nothing more than the scale's end
    return {"n": n, "mean": round(mean, 3), "ci_low": round(max(1.0, mean - half), 3), "ci_high": round(min(5.0, mean + half), 3)}


def summarize_ratings(ratings: list[dict], sheets: int) -> dict:
    groups: dict[str, list[dict]] = defaultdict(list)
    for rating in ratings:
        groups[rating["language"]].append(rating)
    groups_all = {**dict(sorted(groups.items())), "all": ratings}

    def criteria_of(rows: list[dict]) -> dict:
        return {c: mean_ci([r[c] for r in rows if c in r]) if any(c in r for r in rows) else None for c in CRITERIA}

    by_language = {code: {"rated_pairs": len(rows), **criteria_of(rows)} for code, rows in groups_all.items()}
    return {
        "summary": {f"{code} {criterion}": cell for code, _, *cells in scores_table({"by_language": by_language})
                    for criterion, cell in zip(CRITERIA, cells) if cell is not None},
        "sheets": sheets,
        "confidence": 0.95,
        "criteria": list(CRITERIA),
        "by_language": by_language,
        "comments": [{"id": r["id"], "language": r["language"], "comment": r["comment"]} for r in ratings if r["comment"]],
    }


def import_sheets(run: RunDir, paths: list[Path]) -> dict:
    known = {pair["id"] for candidates in (False, True) for pair in rateable_pairs(run, candidates)}
    ratings, sheets = read_ratings(paths, known)
    if not ratings:
        raise EvalError("the sheets hold no ratings yet (every score cell is empty)")
    scores = summarize_ratings(ratings, sheets)
    path = run.root / SCORES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(scores, indent=2, ensure_ascii=False).encode())
    return scores


def scores_table(scores: dict) -> list[list]:
    """Rows for display: language, rated pairs, then "mean [low, high]" per criterion."""
    rows = []
    for code, entry in scores["by_language"].items():
        cells = []
        for criterion in CRITERIA:
            value = entry.get(criterion)
            if value is None:
                cells.append(None)
            elif value["ci_low"] is None:
                cells.append(f"{value['mean']:.2f} (n={value['n']})")
            else:
                cells.append(f"{value['mean']:.2f} [{value['ci_low']:.2f}, {value['ci_high']:.2f}] (n={value['n']})")
        rows.append([code, entry["rated_pairs"], *cells])
    return rows
