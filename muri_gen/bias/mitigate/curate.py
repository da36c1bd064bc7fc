"""A curated non-harmful subset (arXiv 2412.14050: curated SFT data mitigates bias best).

Both the instruction and the output are screened with the content-screen stage's word lists
(filters/screen/<iso639-3>.txt), more strictly than the pipeline screens documents: by default one
listed term is enough. A flagged row is excluded (listed in excluded.jsonl with the terms found) or
kept with a lower ``weight``; ``curation`` records the reason either way.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from muri_gen.bias.mitigate.base import Method, MethodConfig, Mitigated, present
from muri_gen.component import StaticContext
from muri_gen.stages.content_screen import ContentScreen, ContentScreenConfig


class CurateConfig(MethodConfig):
    action: Literal["exclude", "downweight"] = Field(
        default="exclude", description="exclude: drop a flagged row (listed in excluded.jsonl with the terms found); "
                                       "downweight: keep it with a lower weight")
    downweight: float = Field(default=0.1, ge=0, lt=1,
                              description="with action downweight: a flagged row's weight is multiplied by this "
                                          "(0 <= x < 1)")
    fields: list[str] = Field(default=["instruction", "text"],
                              description="record fields screened; one that trips the screen flags the row; *_en "
                                          "fields use the English list, a language without a list is not screened")
    wordlists: str = Field(default="screen",
                           description="folder of <iso639-3>.txt lists: a path, or a folder name inside filters/")
    min_hits: int = Field(default=1, ge=1, description="word-list hits a field needs to be flagged (1: any one)")
    min_distinct: int = Field(default=1, ge=1, description="different listed words among those hits")
    max_rate: float = Field(default=1e-9, gt=0, le=1,
                            description="hits per word at which a field is flagged; the tiny default leaves it to "
                                        "min_hits and min_distinct")


class CurateNonHarmful(Method):
    name = "curate"
    Config = CurateConfig
    config: CurateConfig

    def __init__(self, config: CurateConfig):
        super().__init__(config)
        self.screen = ContentScreen(ContentScreenConfig(wordlists=config.wordlists, max_rate=config.max_rate,
                                                        min_hits=config.min_hits, min_distinct=config.min_distinct),
                                    StaticContext({}))  # word lists only: no backend, no run folder
        self.screen.setup()

    def flag(self, record: dict) -> str | None:
        """"<field>: terms ..." for the first field that trips the screen, else None."""
        for name in self.config.fields:
            if not present(record, name):
                continue
            language = "eng" if name.endswith("_en") else record.get("language") or "und"
            probe = {"text": record[name], "language": language, "script": record.get("script")}
            verdict = self.screen.keep(probe)
            if verdict is not True:
                return f"{name}: {verdict[1]} {', '.join(verdict[2]['terms'])}"
        return None

    def apply(self, records: list[dict]) -> Mitigated:
        kept, excluded = [], []
        for record in records:
            reason = self.flag(record)
            weighted = self.config.action == "downweight"
            if reason is None:
                kept.append(dict(record, curation=None, **({"weight": record.get("weight", 1.0)} if weighted else {})))
            elif self.config.action == "exclude":
                excluded.append({"id": record["id"], "method": self.name, "reason": reason})
            else:
                kept.append(dict(record, curation=reason, weight=record.get("weight", 1.0) * self.config.downweight))
        flagged = len(excluded) if self.config.action == "exclude" else sum(r["curation"] is not None for r in kept)
        columns = {"curation": "why the content screen flagged this row (null = not flagged)"}
        if self.config.action == "downweight":
            columns["weight"] = f"loss weight: {self.config.downweight} for flagged rows, else unchanged"
        return Mitigated(kept, summary={"rows_in": len(records), "flagged": flagged, "rows_out": len(kept),
                                        "action": self.config.action}, columns=columns, excluded=excluded)
