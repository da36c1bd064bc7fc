BENCHES: dict[str, str] = {
    "runner": "muri_gen.bench.runner:run",
    "filtering": "muri_gen.bench.filtering:run",
    "translation": "muri_gen.bench.translation:run",
    "bias": "muri_gen.bench.bias:run",
    "bias_mitigate": "muri_gen.bench.bias_mitigate:run",
    "report": "muri_gen.bench.report:run",
    "generation": "muri_gen.bench.generation:run",
    "curation": "muri_gen.bench.curation:run",
    "export": "muri_gen.bench.export:run",
}
