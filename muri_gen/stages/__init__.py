"""Every stage a recipe can name, in pipeline order. Each is one small class (see base.Stage)."""
from muri_gen.registry import resolve
from muri_gen.stages.base import FilterStage, Resources, Stage, StageConfig

STAGES: dict[str, str] = {
    # filtering (native documents)
    "normalize": "muri_gen.stages.normalize:Normalize",
    "language_id": "muri_gen.stages.language_id:LanguageID",
    "quality": "muri_gen.stages.quality:QualityFilter",
    "content_screen": "muri_gen.stages.content_screen:ContentScreen",
    "pii": "muri_gen.stages.pii:RedactPII",
    "dedup": "muri_gen.stages.dedup:Deduplicate",
    "sample": "muri_gen.stages.sample:SampleCap",
    # generation
    "translate": "muri_gen.stages.translate:Translate",
    "reverse_instruction": "muri_gen.stages.reverse_instruction:ReverseInstruction",
    "postfilter": "muri_gen.stages.postfilter:PostFilter",
    "curate": "muri_gen.stages.curate:Curate",
}


def get_stage(name: str) -> type[Stage]:
    return resolve(STAGES, name, "stage")


__all__ = ["STAGES", "FilterStage", "Resources", "Stage", "StageConfig", "get_stage"]
