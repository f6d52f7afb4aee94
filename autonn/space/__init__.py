"""Search spaces: config dataclasses, model families, and loading a user's space function."""

from autonn.space._configs import (
    ACTIVATIONS,
    CNN,
    DSCNN,
    MLP,
    OPTIMIZERS,
    QUANTIZATIONS,
    Augmentation,
    Compression,
    ModelConfig,
    Training,
)
from autonn.space._loader import BUILTIN_SPACES, SearchSpace, load_space
from autonn.space._series import SeriesCNN
from autonn.space._suggest import suggest_augmentation, suggest_compression, suggest_training

__all__ = [
    "ACTIVATIONS",
    "BUILTIN_SPACES",
    "CNN",
    "DSCNN",
    "MLP",
    "OPTIMIZERS",
    "QUANTIZATIONS",
    "Augmentation",
    "Compression",
    "ModelConfig",
    "SearchSpace",
    "SeriesCNN",
    "Training",
    "load_space",
    "suggest_augmentation",
    "suggest_compression",
    "suggest_training",
]
