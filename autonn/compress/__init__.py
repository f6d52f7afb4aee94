"""Compression of a trained model: structured pruning (number formats live in autonn.measure)."""

from autonn.compress._prune import fit_to_state_dict, prune_structured
from autonn.space._models import count_parameters

__all__ = ["count_parameters", "fit_to_state_dict", "prune_structured"]
