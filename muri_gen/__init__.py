"""muri-gen: multilingual reverse instructions (MURI) at scale, with bias tracing and mitigation.

Where things are, one hop from here:
  muri_gen.stages.STAGES       every pipeline stage (filters, translate, reverse_instruction, ...)
  muri_gen.backends.BACKENDS   every backend by kind (lid, translator, llm, classifier, embedder)
  muri_gen.sinks.SINKS         what a finished run writes (hub dataset, bias trace, report)
  muri_gen.recipe              YAML recipes and their validation
  muri_gen.runner              shards, resume, locks, accounting; local and Ray executors
  muri_gen.cli                 the ``muri-gen`` command
"""

__version__ = "0.1.0"
