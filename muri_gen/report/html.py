"""report.html: one self-contained page per run (charts embedded, no scripts, no network).

Every section renders from whatever the run produced and says plainly when something was not
run (a filter-only run has no instructions, a run without the bias sink has no bias trace).
"""
from __future__ import annotations

import base64
import json
import logging
from array import array
from collections import Counter, defaultdict
from html import escape
from pathlib import Path
from statistics import median

from pydantic import Field

from muri_gen.report import plots
from muri_gen.report.collect import RunSummary, summarize
from muri_gen.report.evaluation import CRITERIA, SCORES_FILE, scores_table
from muri_gen.runner.layout import RunDir, write_atomic
from muri_gen.sinks import Sink, SinkConfig

log = logging.getLogger("muri_gen")

REPORT_NAME = "report.html"
INDICATORS_PATH = Path("eval") / "indicators.json"  # automatic indicators, for the dataset card
PREVIEW_CHARS = 400

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:0 auto;
max-width:1200px;padding:1rem 2rem;color:#1b1b1b;background:#fff;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:2px solid #e0e0e0;padding-top:1rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;vertical-align:top;text-align:left}
th{background:#f5f5f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-style:italic}.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;min-width:8rem}
.card b{display:block;font-size:1.4rem}.pair td{width:25%;font-size:.85rem;white-space:pre-wrap}
nav a{margin-right:.8rem}img{max-width:100%}details summary{cursor:pointer;color:#1565c0}
"""


class ReportConfig(SinkConfig):
    samples_per_language: int = Field(default=3, ge=0, le=100,
                                      description="example pairs shown per language (a sample drawn from the seed)")
    lid: str | None = Field(default=None,
                            description="a LID backend (recipe ref) to label instructions the post-filter did not "
                                        "label")


class ReportSink(Sink):
    name = "report"
    Config = ReportConfig
    uses_backends = {"lid": "lid"}

    def write(self, run: RunDir) -> None:
        identify = None
        if self.config.lid:
            backend = self.context.backend(self.config.lid)
            identify = lambda texts: [p.language for p in backend.identify(texts)]  # noqa: E731
        path = write_report(run, self.config.samples_per_language, identify)
        log.info("report written to %s", path)


def write_report(run: RunDir, samples_per_language: int = 3, identify=None) -> Path:
    summary = summarize(run, samples_per_language, identify)
    (run.root / INDICATORS_PATH).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(run.root / INDICATORS_PATH,
                 json.dumps(summary.indicators_json(), indent=2, ensure_ascii=False).encode())
    path = run.root / REPORT_NAME
    write_atomic(path, render(summary).encode("utf-8"))
    return path


# --- small HTML helpers -------------------------------------------------------------------------

def _cell(value) -> str:
    if value is None:
        return '<td class="n">–</td>'
    if isinstance(value, float):
        return f'<td class="n">{value:.3g}</td>' if abs(value) < 1000 else f'<td class="n">{value:,.0f}</td>'
    if isinstance(value, int):
        return f'<td class="n">{value:,}</td>'
    return f"<td>{escape(str(value))}</td>"


def table(header: list[str] | None, rows: list[list]) -> str:
    """A table; header None for key-value tables."""
    head = "" if header is None else "<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr></thead>"
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def image(uri: str | None, alt: str, missing: str) -> str:
    if uri is None:
        return f'<p class="note">{escape(missing)}</p>'
    return f'<img src="{uri}" alt="{escape(alt)}">'


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def share(value: float | None) -> str | None:
    return None if value is None else f"{100 * value:.1f}%"


def flatten(data, prefix: str = "", depth: int = 0, limit: int = 150) -> list[list]:
    """Scalar leaves of nested JSON as (dotted key, value) rows, a few levels deep, lists left out."""
    if data is None:
        return [[prefix, None]]
    if isinstance(data, dict) and depth < 6:
        rows = []
        for key, value in data.items():
            rows += flatten(value, f"{prefix}.{key}" if prefix else str(key), depth + 1, limit)
        return rows[:limit]
    if isinstance(data, (int, float, str)) and not isinstance(data, bool):
        return [[prefix, data]]
    return []


def long_text(text: str | None) -> str:
    if not text:
        return '<span class="note">–</span>'
    if len(text) <= PREVIEW_CHARS:
        return escape(text)
    return f"<details><summary>{escape(text[:PREVIEW_CHARS])}…</summary>{escape(text[PREVIEW_CHARS:])}</details>"


# --- sections -----------------------------------------------------------------------------------

def many_languages_note(count: int) -> str:
    if count <= plots.MAX_LANGUAGES:
        return ""
    return note(f"{count} languages: the charts show the {plots.MAX_LANGUAGES} largest; the tables list every language.")


def overview(s: RunSummary) -> str:
    stats = s.stats
    if stats is None:
        return note("stats.json is missing: the run has not finished.")
    wall = sum((stats.get("wall_seconds") or {}).values())
    cards = [("input", stats["input"]), ("kept", stats["kept"]), ("rejected", stats["rejected"]),
             ("errored", stats["errored"]), ("languages kept", sum(1 for c in stats["by_language"].values() if c.get("kept"))),
             ("wall time", f"{wall:.1f} s")]
    peak = stats.get("peak_rss_mb") or {}
    if peak:
        cards.append(("peak memory", f"{peak.get('runner', 0):,.0f} MiB" + (f" + {peak['children']:,.0f} MiB servers" if peak.get("children") else "")))
    html = '<div class="cards">' + "".join(
        f'<div class="card">{escape(k)}<b>{v if isinstance(v, str) else f"{v:,}"}</b></div>' for k, v in cards) + "</div>"
    recipe = s.recipe or {}
    stages = " → ".join(s.stage_order) or "none"
    sinks = ", ".join(x.get("sink", "?") for x in recipe.get("sinks", [])) or "none"
    backends = ", ".join(f"{k}: {v.get('type')}" for k, v in (recipe.get("backends") or {}).items()) or "none"
    return html + table(None, [["recipe", recipe.get("name", "?")], ["stages", stages],
                                  ["backends", backends], ["sinks", sinks], ["seed", recipe.get("seed", "?")]])


def funnel(s: RunSummary) -> str:
    if s.stats is None:
        return note("not available: stats.json is missing.")
    by_language = s.stats["by_language"]
    by_stage: dict[str, dict[str, int]] = defaultdict(dict)
    for (stage, code), n in s.rejected_by_stage_language.items():
        by_stage[stage][code] = n
    order = ["read"] + s.stage_order
    stages = [x for x in order if x in by_stage] + sorted(x for x in by_stage if x not in order)
    rows = []
    for code, counts in sorted(by_language.items(), key=lambda kv: -kv[1].get("input", 0)):
        rows.append([code, s.languages[code].name if code in s.languages else code, counts.get("input", 0)]
                    + [by_stage[x].get(code, 0) for x in stages]
                    + [counts.get("errored", 0), counts.get("kept", 0), pct(counts.get("kept", 0), counts.get("input", 0))])
    chart = image(plots.funnel(by_language, by_stage, order), "filter funnel per language", "no records.")
    return many_languages_note(len(by_language)) + chart + table(["lang", "name", "input"] + [f"rejected: {x}" for x in stages] + ["errored", "kept", "kept %"], rows)


def lengths(s: RunSummary) -> str:
    docs = {c: l.doc_chars for c, l in s.languages.items()}
    html = "<h3>Native documents (characters, kept rows)</h3>" + image(
        plots.boxplots(docs, "characters", log=True), "document lengths", "no kept rows.")
    if not s.has_instructions:
        return html + "<h3>Instructions</h3>" + note("not run: this run generated no instructions (a filter-only recipe).")
    instr = {c: l.instruction_chars for c, l in s.languages.items()}
    html += "<h3>Native instructions (characters, kept rows)</h3>" + image(
        plots.boxplots(instr, "characters"), "instruction lengths", "no kept instructions.")
    rows = [[c, len(l.doc_chars), median(l.doc_chars) if l.doc_chars else None,
             median(l.instruction_chars) if l.instruction_chars else None]
            for c, l in sorted(s.languages.items()) if l.doc_chars]
    return html + table(["lang", "kept rows", "median document chars", "median instruction chars"], rows)


def lid_confidence(s: RunSummary) -> str:
    kept = array("f")
    for summary in s.languages.values():
        kept.extend(summary.lid_scores)
    if not kept and not s.rejected_lid_scores:
        return note("not run: no row carries a lid_score (no language_id stage in this recipe).")
    chart = image(plots.histogram({"kept": kept, "rejected": s.rejected_lid_scores}, "LID confidence"),
                  "LID confidence", "no scores.")
    rows = [[c, len(l.lid_scores), min(l.lid_scores), median(l.lid_scores)]
            for c, l in sorted(s.languages.items()) if l.lid_scores]
    return chart + table(["lang", "kept rows", "min confidence", "median confidence"], rows)


def styles(s: RunSummary) -> str:
    counts = {c: l.styles for c, l in s.languages.items() if l.styles}
    if not counts:
        return note("not run: no row carries an instruction style (no reverse_instruction stage).")
    names = sorted({k for c in counts.values() for k in c})
    rows = [[c] + [counts[c][n] for n in names] for c in sorted(counts)]
    return image(plots.stacked_shares(counts, "share of kept rows"), "instruction styles", "") + table(["lang"] + names, rows)


def rejections(s: RunSummary) -> str:
    if s.stats is None or not s.stats.get("by_reason"):
        return note("no record was rejected or errored.")
    chart = image(plots.bars(dict(s.stats["by_reason"]), "records", color="#c62828"), "rejections by reason", "")
    types = s.stage_types()
    post = [(stage, reason, code, n) for (stage, reason, code), n in s.rejected_by_reason_language.items()
            if "postfilter" in (types.get(stage) or "")]
    if not post:
        detail = note("post-filter: not run (no postfilter stage in this recipe)." if not any("postfilter" in t for t in types.values())
                      else "the post-filter rejected nothing.")
    else:
        reasons = sorted({(stage, reason) for stage, reason, _, _ in post})
        langs = sorted({code for _, _, code, _ in post})
        grid = Counter({(stage, reason, code): n for stage, reason, code, n in post})
        detail = "<h3>Post-filter rejections by language</h3>" + table(
            ["lang"] + [f"{st}:{r}" for st, r in reasons], [[c] + [grid[(st, r, c)] for st, r in reasons] for c in langs])
    if s.errors:
        detail += "<h3>Errors (most frequent messages)</h3>" + table(
            ["stage", "error", "records"], [[stage, message, n] for (stage, message), n in s.errors.most_common(20)])
    return chart + detail


def indicators(s: RunSummary) -> str:
    if not s.has_instructions:
        return note("not run: this run generated no instructions.")
    rows = []
    for code, l in sorted(s.languages.items()):
        ind = l.indicators.to_json()
        if not ind["generated_instructions"]:
            continue
        rows.append([code, ind["generated_instructions"], share(ind["language_consistency"]), ind["language_checked"],
                     share(ind["echo_rate"]), share(ind["refusal_rate"]), ind["distinct_1"], ind["distinct_2"],
                     ind["distinct_sample"]])
    source = {"postfilter": "the post-filter's language labels", "lid": "the report's LID backend",
              "lid+postfilter": "the post-filter's labels and the report's LID backend"}.get(
        s.language_checked_by, "nothing: the post-filter recorded no instruction language and the report has no lid backend")
    chart = image(plots.grouped_shares({code: {k: l.indicators.to_json()[k] for k in
                                               ("language_consistency", "echo_rate", "refusal_rate", "distinct_2")}
                                        for code, l in s.languages.items() if l.indicators.generated}, "share"),
                  "quality indicators", "")
    return chart + note(
        "Over every generated instruction (kept or filtered out). Language consistency: share of native instructions "
        f"in the row's language, judged by {source}. Echo and refusal: instructions the post-filter flagged. "
        "distinct-n: unique n-grams / all n-grams over a fixed-size sample of kept native instructions."
    ) + table(["lang", "instructions", "language consistency", "checked", "echo rate", "refusal rate",
               "distinct-1", "distinct-2", "distinct sample"], rows)


def pair_quality(s: RunSummary) -> str:
    scored = {code: l.quality for code, l in sorted(s.languages.items()) if l.quality.pairs}
    if not scored:
        return note("not run: the recipe has no curate stage (add {stage: curate} after the post-filter).")
    kept = [v for q in scored.values() for v in q.kept]
    rejected = [v for q in scored.values() for v in q.rejected]
    chart = image(plots.histogram({"kept": kept, "rejected": rejected}, "curate score"), "pair score distribution", "")
    signals = sorted({k for q in scored.values() for k in q.signal_counts})
    rows = [[code, q.pairs, len(q.kept), q.candidates, *[q.signal_means().get(k) for k in signals]]
            for code, q in scored.items()]
    parts = [chart, note("The curate stage's score of every pair that reached it (kept, or rejected for a low score "
                         "or signal), and the mean of each signal (0-1, higher is better). Candidates: instructions "
                         "scored, best-of-n included."),
             table(["lang", "pairs", "kept", "candidates", *signals], rows)]
    for code, q in scored.items():
        native = f'lang="{escape(code)}" dir="auto"'
        body = "".join(
            f'<tr class="pair"><td>{e["score"]:.3f} {"kept" if e["kept"] else "rejected"}'
            f'{(": " + escape(", ".join(e["reasons"]))) if e["reasons"] else ""}</td>'
            f'<td {native}>{long_text(e["instruction"])}</td><td {native}>{long_text(e["text"])}</td>'
            f'<td>{escape(", ".join(f"{k} {v:.2f}" for k, v in e["signals"].items() if v is not None))}</td></tr>'
            for e in q.examples())
        parts.append(f"<h3>{escape(code)}: best and worst pairs</h3><table><thead><tr><th>score</th><th>instruction</th>"
                     f"<th>document</th><th>signals</th></tr></thead><tbody>{body}</tbody></table>")
    return "".join(parts)


def throughput(s: RunSummary) -> str:
    if s.stats is None or not s.stats.get("by_stage"):
        return note("not available: stats.json has no per-stage figures.")
    by_stage = s.stats["by_stage"]
    order = [x for x in s.stage_order if x in by_stage] + [x for x in by_stage if x not in s.stage_order]
    rows = [[x, by_stage[x].get("in", 0), by_stage[x].get("kept", 0), by_stage[x].get("rejected", 0),
             by_stage[x].get("errored", 0), by_stage[x].get("seconds"), by_stage[x].get("records_per_second")]
            for x in order]
    chart = image(plots.bars({x: by_stage[x].get("records_per_second") or 0 for x in order}, "records / second (log)", log=True),
                  "throughput per stage", "no timing recorded.")
    wall = s.stats.get("wall_seconds") or {}
    return chart + table(["stage", "in", "kept", "rejected", "errored", "seconds", "records/s"], rows) + table(
        ["step", "wall seconds"], [[k, v] for k, v in wall.items()])


def samples(s: RunSummary) -> str:
    parts = []
    for code, l in sorted(s.languages.items()):
        rows = l.samples.items()
        if not rows:
            continue
        # native cells carry their language and direction (Arabic, Hebrew... read right to left)
        native = f'lang="{escape(code)}" dir="auto"'
        body = "".join(
            f'<tr class="pair"><td {native}>{long_text(r.get("text"))}</td><td>{long_text(r.get("text_en"))}</td>'
            f'<td>{long_text(r.get("instruction_en"))}</td><td {native}>{long_text(r.get("instruction"))}</td></tr>'
            for r in rows)
        parts.append(f"<h3>{escape(code)} – {escape(l.name)}</h3><table><thead><tr><th>native document</th>"
                     f"<th>English text</th><th>English instruction</th><th>native instruction</th></tr></thead>"
                     f"<tbody>{body}</tbody></table>")
    if not parts:
        return note("no kept rows.")
    lead = "" if s.has_instructions else note("This run generated no instructions: only the documents are shown.")
    return lead + "".join(parts)


def bias(s: RunSummary) -> str:
    folder = s.root / "bias"
    trace = folder / "trace.json"
    if not trace.exists():
        return note("not run: the recipe has no bias_trace sink (bias/trace.json is missing).")
    try:
        data = json.loads(trace.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return note(f"bias/trace.json is not valid JSON ({exc}).")
    if not isinstance(data, dict):
        headline = {}
    elif "summary" in data:  # the bias sink's own digest
        headline = {k: data[k] for k in ("method", "rows", "summary") if k in data}
    else:
        headline = {k: data[k] for k in ("method", "rows", "amplification") if k in data}
        stages = data.get("stages")
        if isinstance(stages, dict):
            headline["stages"] = {name: stage.get("overall") for name, stage in stages.items() if isinstance(stage, dict)}
    rows = flatten(headline or data)
    html = table(["figure", "value"], rows) if rows else ""
    if isinstance(data, dict) and isinstance(data.get("selection"), dict):
        html += selection_table(data["selection"])
    for png in sorted(folder.glob("*.png")):
        uri = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")
        html += f"<h3>{escape(png.stem)}</h3>" + image(uri, f"bias trace {png.stem}", "")
    pretty = escape(json.dumps(data, indent=1, ensure_ascii=False)[:200_000])
    return html + f"<details><summary>trace.json</summary><pre>{pretty}</pre></details>"


def selection_table(selection: dict) -> str:
    """What curation's choice did: each stage over the kept rows beside everything generated."""
    def cell(digest: dict | None, languages: dict) -> str:
        if not digest:
            return "-"
        share = "-" if digest["female_pct"] is None else f"{digest['female_pct']:.1f}%"
        where = ", ".join(f"{lang} {d['occupations_with_evidence']}" for lang, d in languages.items()
                          if d["occupations_with_evidence"])
        return (f"occupations with evidence: {digest['occupations_with_evidence']} ({where or 'none'}); "
                f"{digest['female']} F / {digest['male']} M windows; female {share}; {digest['texts']} texts")

    rows = [[stage, *(cell(scopes[scope]["overall"], scopes[scope]["languages"]) for scope in ("kept", "generated")),
             scopes.get("female_pct_kept_minus_generated")]
            for stage, scopes in selection.items()]
    return (note("Kept rows beside every generated candidate (kept + rejected by the post-filter or curate; "
                 "bias/trace.json 'generated', 'discarded'):")
            + table(["stage", "kept", "all generated", "female share, kept minus generated (points)"], rows))


def human_eval(s: RunSummary) -> str:
    path = s.root / SCORES_FILE
    if not path.exists():
        return note("not run: export sheets with `muri-gen eval export OUTPUT_DIR --per-lang 30 --output SHEETS`, "
                    "have native speakers fill them, then `muri-gen eval import OUTPUT_DIR SHEETS`.")
    data = json.loads(path.read_text(encoding="utf-8"))
    header = ["lang", "rated pairs"] + [f"{c} (mean, 95% CI)" for c in CRITERIA]
    return note(f"Scores 1-5 from {data.get('sheets', '?')} sheet(s).") + table(header, scores_table(data))


SECTIONS = [
    ("overview", "Overview", overview),
    ("funnel", "Filter funnel per language", funnel),
    ("lengths", "Length distributions", lengths),
    ("lid", "Language-ID confidence", lid_confidence),
    ("styles", "Instruction-style mix", styles),
    ("rejections", "Rejections by reason", rejections),
    ("quality", "Automatic quality indicators", indicators),
    ("pairs", "Pair quality (curate)", pair_quality),
    ("throughput", "Throughput per stage", throughput),
    ("samples", "Sample pairs per language", samples),
    ("bias", "Gender-occupation bias trace", bias),
    ("human", "Human evaluation", human_eval),
]


def render(s: RunSummary) -> str:
    name = (s.recipe or {}).get("name", s.root.name)
    nav = "".join(f'<a href="#{key}">{escape(title)}</a>' for key, title, _ in SECTIONS)
    body = "".join(f'<section id="{key}"><h2>{escape(title)}</h2>{fn(s)}</section>' for key, title, fn in SECTIONS)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>muri-gen report: {escape(str(name))}</title><style>{STYLE}</style></head><body>"
            f"<h1>muri-gen run report: {escape(str(name))}</h1><p class=\"note\">{escape(str(s.root))}</p>"
            f"<nav>{nav}</nav>{body}</body></html>")
