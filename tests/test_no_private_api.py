"""The CI check against other libraries' private names, on small made-up modules."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "no_private_api.py"
_spec = importlib.util.spec_from_file_location("no_private_api", SCRIPT)
no_private_api = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = no_private_api  # dataclasses look their module up there
_spec.loader.exec_module(no_private_api)


def _flagged(tmp_path: Path, **modules: str) -> list[str]:
    files = []
    for name, source in modules.items():
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        files.append(path)
    return [what for found in no_private_api.check(files).values() for _, _, what in found]


def test_ray_and_optuna_privates_are_flagged(tmp_path):
    flagged = _flagged(
        tmp_path,
        mod="""
        import optuna._hypervolume
        from optuna.study._multi_objective import _get_pareto_front_trials
        from ray.tune.schedulers import ASHAScheduler
        from ray.tune.search.optuna import OptunaSearch

        class Patient(ASHAScheduler):
            def __init__(self):
                super().__init__()
                self._min_peers = 4

            def on_trial_result(self, controller, trial, result):
                self._num_stopped -= 1   # the parent's counter, only changed here
                super()._helper()
                return self._trial_info, self._min_peers

        class Searcher(OptunaSearch):
            def suggest(self, trial_id):
                return self._ot_trials[trial_id]

        def open_storage(study):
            return study._storage, getattr(study, "_storage"), study.__class__
        """,
    )
    assert flagged == [
        "import optuna._hypervolume",
        "from optuna.study._multi_objective import _get_pareto_front_trials",
        "self._num_stopped",
        "super()._helper",
        "self._trial_info",
        "self._ot_trials",
        "study._storage",
        "getattr(study, '_storage')",
    ]


def test_autonn_own_privates_pass(tmp_path):
    flagged = _flagged(
        tmp_path,
        base="""
        class Base:
            _limit = 3

            def __init__(self):
                self._seen, self._left = {}, 1
        """,
        mod="""
        import autonn.space._models
        from autonn.tune._moasha import _helper
        from autonn.made_up import Base

        class Child(Base):
            def check(self):
                return self._seen, self._limit, self._left, self._own(), _helper._x

            def _own(self):
                return autonn.space._models.build_mlp
        """,
    )
    assert flagged == []
