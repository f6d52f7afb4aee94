"""k-fold scoring for small data.

With a few hundred rows, one validation split is a handful of samples, and a search picks whatever
got lucky on it. A trial on small data is therefore scored by k-fold cross-validation over the
training and validation rows together: k models, each validated on the fold it did not see. The
objective is their mean, stored with its spread. The test split is never part of it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from autonn.data._dataset import Dataset

# Below this many training + validation rows a search scores by k-fold unless told otherwise:
# at 1,000 rows one 20% validation split is 200 samples, where one sample moves accuracy by 0.5
# points; below it, the luck of the split outweighs most differences between trials.
SMALL_DATA = 1000
DEFAULT_FOLDS = 5


def default_folds(data: Dataset) -> int:
    """The folds a search on `data` scores by when the user does not say: 0 means one split."""
    return DEFAULT_FOLDS if len(data.y_train) + len(data.y_val) < SMALL_DATA else 0


def pooled(data: Dataset) -> Dataset:
    """`data` with its validation rows added to the training rows: what a k-fold trial's shipped
    model trains on. Its validation split stays as it was (now seen in training, so a score on
    it means nothing): the loop needs one, but the weights kept are the last epoch's."""
    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    return dataclasses.replace(data, x_train=x, y_train=y)


def fold_rows(data: Dataset, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """`k` pairs of (training rows, validation rows) of `pooled(data)`: each fold is validated
    once, by a model trained on the others. Stratified by class where every class has k rows."""
    from sklearn.model_selection import KFold, StratifiedKFold

    y = pooled(data).y_train
    stratify = data.task == "classification" and np.bincount(y).min() >= k
    splitter = (StratifiedKFold if stratify else KFold)(k, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y if stratify else None))


def fold(whole: Dataset, train_rows: np.ndarray, val_rows: np.ndarray) -> Dataset:
    """One fold of `whole` (a `pooled` Dataset): its training and validation rows."""
    x, y = whole.x_train, whole.y_train
    return dataclasses.replace(
        whole, x_train=x[train_rows], y_train=y[train_rows], x_val=x[val_rows], y_val=y[val_rows]
    )
