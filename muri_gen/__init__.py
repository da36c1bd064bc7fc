"""muri-gen: multilingual reverse instructions (MURI) at scale, with bias tracing and mitigation.

The Python API (muri_gen.api; the ``muri-gen`` commands are a thin layer over it):

    from muri_gen import Recipe, curate, trace_bias, mitigate_bias
    result = Recipe.from_yaml("pipelines/filter.yaml").run(input=dataset, output="runs/filter")
    result.stats, result.dataset["spa"], result.rejected, result.errored, result.report

Where things are, one hop from here:
  muri_gen.stages.STAGES       every pipeline stage (filters, translate, reverse_instruction, ...)
  muri_gen.backends.BACKENDS   every backend by kind (lid, translator, llm, classifier, embedder)
  muri_gen.sinks.SINKS         what a finished run writes (hub dataset, bias trace, report)
  muri_gen.recipe              YAML recipes and their validation
  muri_gen.runner              shards, resume, locks, accounting; local and Ray executors
  muri_gen.cli                 the ``muri-gen`` command
"""

__version__ = "0.1.0"

# imported on first use, so that ``import muri_gen.x`` stays as light as module x
_PUBLIC = {
    "Recipe": "muri_gen.api", "RunResult": "muri_gen.api", "Mitigation": "muri_gen.api",
    "curate": "muri_gen.api", "trace_bias": "muri_gen.api", "mitigate_bias": "muri_gen.api",
    "RecipeError": "muri_gen.recipe", "InputError": "muri_gen.io.readers", "RunError": "muri_gen.runner",
}
__all__ = ["__version__"] + list(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'muri_gen' has no attribute {name!r}")
