"""The one path to the database: Optuna's RDB schema holds every trial; autonn reads it here."""

from autonn.store._artifacts import (
    artifact_root,
    download,
    search_location,
    trial_location,
    upload,
)
from autonn.store._live import LiveSearch
from autonn.store._open import (
    DEFAULT_STORAGE,
    check_storage,
    display_url,
    open_storage,
    sqlite_path,
)
from autonn.store._pareto import deployable, dominates, pareto_front
from autonn.store._read import list_searches, load_search, study_id_of
from autonn.store._records import (
    CONFIG_ATTR,
    COSTS,
    COSTS_BEFORE_TRAINING,
    DETAILS_ATTR,
    OBJECTIVES,
    STATE_WORDS,
    Search,
    SearchInfo,
    TrialRecord,
    pack_attrs,
    quality_metric,
    state_word,
    upgrade_attrs,
)

__all__ = [
    "artifact_root",
    "search_location",
    "CONFIG_ATTR",
    "DETAILS_ATTR",
    "COSTS",
    "COSTS_BEFORE_TRAINING",
    "check_storage",
    "DEFAULT_STORAGE",
    "OBJECTIVES",
    "Search",
    "SearchInfo",
    "TrialRecord",
    "display_url",
    "download",
    "deployable",
    "dominates",
    "list_searches",
    "load_search",
    "open_storage",
    "pack_attrs",
    "pareto_front",
    "quality_metric",
    "STATE_WORDS",
    "state_word",
    "upgrade_attrs",
    "sqlite_path",
    "study_id_of",
    "trial_location",
    "upload",
    "LiveSearch",
]
