"""autonn: search for small, accurate neural networks.

import autonn
result = autonn.search(autonn.SearchConfig(space="mlp", data="digits", trials=12))
for trial in result.pareto:
    print(trial.number, trial.accuracy, trial.size_bytes)
autonn.export(result.name, "exports/digits", pick="knee")
autonn.load("exports/digits").predict(raw_inputs)
"""

__version__ = "0.1.0"

import importlib
import importlib.util
import sys
import types

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
    "ExportResult": "autonn.export",
    "Predictor": "autonn.export",
    "VerificationFailed": "autonn.export",
    "export": "autonn.export",
    "load": "autonn.export",
    "RunConfig": "autonn.search",
    "SearchConfig": "autonn.search",
    "search": "autonn.search",
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


class _Package(types.ModuleType):
    """`autonn.search` and `autonn.export` are functions and also the names of subpackages.
    Importing a subpackage sets the package's attribute to the module; these properties keep the
    function there, as the eager imports did, while `import autonn.search` still works."""

    def _function(self, name: str):
        override = self.__dict__.get(f"_set_{name}")
        return override if override is not None else __getattr__(name)

    def _assign(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ == f"autonn.{name}":
            return  # the import system recording the subpackage
        self.__dict__[f"_set_{name}"] = value  # e.g. a test's monkeypatch

    def __reduce__(self):
        # By reference, as pickle and cloudpickle (Ray) treat a plain module: a function pickled
        # by value with `autonn` among its globals (a search space from a file) carries it.
        return importlib.import_module, (self.__name__,)

    search = property(
        lambda self: self._function("search"), lambda self, v: self._assign("search", v)
    )
    export = property(
        lambda self: self._function("export"), lambda self, v: self._assign("export", v)
    )


sys.modules[__name__].__class__ = _Package

__all__ = [
    "BUILTIN_DATASETS",
    "CNN",
    "DSCNN",
    "DEFAULT_STORAGE",
    "MLP",
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
    "suggest_compression",
    "suggest_training",
]
