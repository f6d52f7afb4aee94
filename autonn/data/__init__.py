"""Datasets: built-in ones that ship with scikit-learn, a user's .npz/.csv/.parquet, checks, splits,
and the tabular preprocessing (categories, imputation) fitted on the training split."""

from autonn.data._dataset import Dataset
from autonn.data._load import BUILTIN_DATASETS, load_dataset

__all__ = ["BUILTIN_DATASETS", "Dataset", "load_dataset"]
