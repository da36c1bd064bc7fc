"""The default executor: one process, shards in order, a progress bar per stage.

The first stage's bar counts toward the segment's records; a later stage's total grows by what the
stage before it passes on, so every bar ends full and shows how many records reached its stage.
"""
from __future__ import annotations

from tqdm.auto import tqdm

from muri_gen.runner.shards import SegmentPlan, run_shards


class LocalExecutor:
    def run_segment(self, plan: SegmentPlan, shards: list[int], total_records: int) -> None:
        ids = [c.id for c in plan.stages]
        following = dict(zip(ids, ids[1:]))
        bars = {
            stage_id: tqdm(total=total_records if i == 0 else 0, desc=f"{stage_id:>20}", unit="rec", position=i,
                           leave=True, dynamic_ncols=True)
            for i, stage_id in enumerate(ids)
        }

        def advance(stage_id: str, done: int, passed: int) -> None:
            bars[stage_id].update(done)
            if stage_id in following:
                bars[following[stage_id]].total += passed
                bars[following[stage_id]].refresh()

        try:
            run_shards(plan, shards, advance)
        finally:
            for bar in bars.values():
                bar.close()
