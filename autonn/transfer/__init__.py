"""Learning from earlier work: warm start from another search's front, a trial's or a package's
weights as each new trial's starting point (`init_from`), and teachers for distillation."""

from autonn.transfer._init import load_matching
from autonn.transfer._source import ModelSource, resolve_source, source_model, source_state
from autonn.transfer._warm import front_params

__all__ = [
    "ModelSource",
    "front_params",
    "load_matching",
    "resolve_source",
    "source_model",
    "source_state",
]
