"""autonn: search for small, accurate neural networks.

import autonn
result = autonn.search(autonn.SearchConfig(space="mlp", data="digits", trials=12))
for trial in result.pareto:
    print(trial.number, trial.accuracy, trial.size_bytes)
autonn.export(result.name, "exports/digits", pick="knee")
autonn.load("exports/digits").predict(raw_inputs)
"""

__version__ = "0.1.0"

from autonn.data import BUILTIN_DATASETS, Dataset, load_dataset  # noqa: E402
from autonn.errors import (  # noqa: E402
    AutonnError,
    MissingDependency,
    StoreError,
    TrialFailed,
    UsageError,
)
from autonn.export import ExportResult, Predictor, VerificationFailed, export, load  # noqa: E402
from autonn.search import RunConfig, SearchConfig, search  # noqa: E402
from autonn.space import (  # noqa: E402
    CNN,
    DSCNN,
    MLP,
    Compression,
    ModelConfig,
    SearchSpace,
    Training,
    load_space,
    suggest_compression,
    suggest_training,
)
from autonn.store import (  # noqa: E402
    DEFAULT_STORAGE,
    Search,
    SearchInfo,
    TrialRecord,
    list_searches,
    load_search,
    pareto_front,
)

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
