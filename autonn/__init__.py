"""autonn: search for small, accurate neural networks.

import autonn
result = autonn.search(autonn.SearchConfig(space="mlp", data="digits", trials=12))
for trial in result.pareto:
    print(trial.number, trial.accuracy, trial.size_bytes)
autonn.export(result.name, "exports/digits", pick="knee")
autonn.load("exports/digits").predict(raw_inputs)
"""

__version__ = "0.3.0"

import importlib
import importlib.util

# Public names and the module each comes from. They are imported when first used (PEP 562), so
# that `import autonn.store` (the dashboard) or `autonn --help` does not pay for Optuna, the
# exporter and the search spaces: 0.3-0.5 s. `import autonn; autonn.X` and `from autonn import X`
# work as before, for every name in __all__.
_WHERE = {
    "BUILTIN_DATASETS": "autonn.data",
    "Dataset": "autonn.data",
    "load_dataset": "autonn.data",
    "AutonnError": "autonn.errors",
    "MissingDependency": "autonn.errors",
    "StoreError": "autonn.errors",
    "TrialFailed": "autonn.errors",
    "UsageError": "autonn.errors",
    "ExportResult": "autonn.package",
    "Predictor": "autonn.package",
    "VerificationFailed": "autonn.package",
    "export": "autonn.package",
    "load": "autonn.package",
    "RunConfig": "autonn.tune",
    "SearchConfig": "autonn.tune",
    "search": "autonn.tune",
    "CNN": "autonn.space",
    "DSCNN": "autonn.space",
    "MLP": "autonn.space",
    "Compression": "autonn.space",
    "ModelConfig": "autonn.space",
    "SearchSpace": "autonn.space",
    "Training": "autonn.space",
    "load_space": "autonn.space",
    "suggest_compression": "autonn.space",
    "suggest_training": "autonn.space",
    "Augmentation": "autonn.space",
    "SeriesCNN": "autonn.space",
    "suggest_augmentation": "autonn.space",
    "DEFAULT_STORAGE": "autonn.store",
    "Search": "autonn.store",
    "SearchInfo": "autonn.store",
    "TrialRecord": "autonn.store",
    "list_searches": "autonn.store",
    "load_search": "autonn.store",
    "pareto_front": "autonn.store",
}


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    # A subpackage (`autonn.compress`), which the eager imports used to load as a side effect.
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'autonn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "BUILTIN_DATASETS",
    "CNN",
    "DSCNN",
    "DEFAULT_STORAGE",
    "MLP",
    "Augmentation",
    "AutonnError",
    "Compression",
    "Dataset",
    "ExportResult",
    "MissingDependency",
    "ModelConfig",
    "Predictor",
    "RunConfig",
    "Search",
    "SearchConfig",
    "SearchInfo",
    "SearchSpace",
    "SeriesCNN",
    "StoreError",
    "Training",
    "TrialFailed",
    "TrialRecord",
    "UsageError",
    "VerificationFailed",
    "__version__",
    "export",
    "list_searches",
    "load",
    "load_dataset",
    "load_search",
    "load_space",
    "pareto_front",
    "search",
    "suggest_augmentation",
    "suggest_compression",
    "suggest_training",
]
