"""Warm start enqueues exactly the other search's front."""

import optuna
import pytest
from optuna.distributions import FloatDistribution, IntDistribution
from optuna.trial import TrialState, create_trial

from autonn.errors import UsageError
from autonn.store import CONFIG_ATTR
from autonn.transfer import front_params

DISTS = {"width_0": IntDistribution(16, 256, log=True), "lr": FloatDistribution(1e-4, 3e-2)}


def _search(storage: str, name: str, rows) -> None:
    """A stored search of (accuracy, size_bytes) with the given (state, params, values)."""
    study = optuna.create_study(
        storage=storage, study_name=name, directions=["maximize", "minimize"]
    )
    study.set_user_attr(CONFIG_ATTR, {"objectives": ["accuracy", "size_bytes"], "space": "mlp"})
    for state, params, values in rows:
        study.add_trial(
            create_trial(state=state, params=params, distributions=DISTS, values=values)
        )


def test_the_front_in_trial_order_and_nothing_else(tmp_path):
    storage = f"sqlite:///{tmp_path}/a.db"
    c = TrialState.COMPLETE
    _search(storage, "earlier", [
        (c, {"width_0": 128, "lr": 1e-3}, [0.95, 9000.0]),   # 0: front (most accurate)
        (c, {"width_0": 64, "lr": 1e-3}, [0.90, 9500.0]),    # 1: dominated by 0
        (c, {"width_0": 16, "lr": 2e-3}, [0.80, 1200.0]),    # 2: front (smallest)
        (TrialState.PRUNED, {"width_0": 17, "lr": 2e-3}, None),
        (c, {"width_0": 32, "lr": 5e-3}, [0.91, 4000.0]),    # 4: front
        (c, {"width_0": 32, "lr": 5e-3}, [0.91, 4000.0]),    # 5: on the front too, same params
    ])  # fmt: skip
    assert front_params("earlier", storage) == [
        {"width_0": 128, "lr": 1e-3},
        {"width_0": 16, "lr": 2e-3},
        {"width_0": 32, "lr": 5e-3},
    ]


def test_a_search_with_no_complete_trial_has_no_front_to_start_from(tmp_path):
    storage = f"sqlite:///{tmp_path}/a.db"
    _search(storage, "empty", [(TrialState.FAIL, {"width_0": 20, "lr": 1e-3}, None)])
    with pytest.raises(UsageError, match="no complete trial"):
        front_params("empty", storage)
