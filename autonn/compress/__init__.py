"""Compression of a trained model: structured pruning and low-rank factorisation (number formats
live in autonn.measure)."""

from autonn.compress._lowrank import LowRank, factorise, factorise_layer
from autonn.compress._prune import fit_to_state_dict, prune_structured
from autonn.space._models import count_parameters

__all__ = [
    "LowRank",
    "count_parameters",
    "factorise",
    "factorise_layer",
    "fit_to_state_dict",
    "prune_structured",
]
