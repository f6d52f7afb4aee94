"""What the new training recipe changes, at the same epoch budget, on digits (cnn) and diabetes
(mlp, regression): the same sampled configs trained with the plain recipe and with the new one.

For each data set, K configs come from the built-in space (seeded random sampler, compression
off: this measures training only). Each trains twice for the same epochs and seed: plain (a
constant learning rate, as in 0.1) and new (cosine schedule after one warm-up epoch, label
smoothing 0.1 for classification, gradient-norm clip 5). Both end on their best validation
epoch's weights, as every run now does; the plain run's last-epoch validation figure is printed
too, to show what keeping the best epoch changes on its own. Reported: the mean test metric of
the kept weights (accuracy on digits, rmse on diabetes).

    python bench/recipe.py [--configs 8] [--epochs 15]

The last line is machine-readable: `ratio=` is digits' mean test accuracy new / plain.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import optuna
import torch

from autonn.data import load_dataset
from autonn.space import load_space
from autonn.train import best_epoch, predict_logits, seed_everything, train

SETS = {"digits": ("autonn.spaces.cnn:uncompressed", "classification"),
        "diabetes": ("autonn.spaces.mlp:uncompressed", "regression")}  # fmt: skip


def _configs(spec: str, k: int) -> list:
    space = load_space(spec)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    return [space.sample(study.ask()) for _ in range(k)]


def _new(training, task: str):
    smoothing = 0.1 if task == "classification" else 0.0
    return dataclasses.replace(training, schedule="cosine", warmup_epochs=1,
                               label_smoothing=smoothing, grad_clip=5.0)  # fmt: skip


def _run(config, training, data, epochs: int, seed: int) -> dict:
    seed_everything(seed)
    model = config.build(data.input_shape, data.n_outputs)
    split = (data.x_train, data.y_train, data.x_val, data.y_val)
    fit = {"task": data.problem, "scaling": data.target}
    curve = train(model, training, *split, epochs=epochs, seed=seed, **fit)
    metric = data.problem.default_metric
    outputs = predict_logits(model, data.x_test).numpy()
    return {
        "test": data.problem.score(metric, data.y_test, outputs, data.target),
        "val_last": curve[-1],
        "val_best": curve[best_epoch(curve, metric) - 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--configs", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ratios = {}
    for name, (spec, task) in SETS.items():
        data = load_dataset(name, seed=0, task=task)
        started = time.perf_counter()
        plain, new = [], []
        for i, config in enumerate(_configs(spec, args.configs)):
            plain.append(_run(config, config.train, data, args.epochs, i))
            new.append(_run(config, _new(config.train, task), data, args.epochs, i))
        mean = {k: statistics.mean(r[k] for r in plain) for k in plain[0]}
        mean_new = {k: statistics.mean(r[k] for r in new) for k in new[0]}
        better = sum(
            data.problem.metric().better(n["test"], p["test"])
            for p, n in zip(plain, new, strict=True)
        )
        metric = data.problem.default_metric
        print(f"{name} ({metric}, {args.configs} configs, {args.epochs} epochs, "
              f"{time.perf_counter() - started:.0f}s):")  # fmt: skip
        print(f"  plain: test {mean['test']:.4g}  val last epoch {mean['val_last']:.4g}  "
              f"val best epoch {mean['val_best']:.4g}")  # fmt: skip
        print(f"  new:   test {mean_new['test']:.4g}  val best epoch {mean_new['val_best']:.4g}  "
              f"(better test {metric} on {better}/{args.configs} configs)")  # fmt: skip
        ratios[name] = mean_new["test"] / mean["test"]
    print(f"ratio={ratios['digits']:.4f} diabetes_rmse_ratio={ratios['diabetes']:.4f}")


if __name__ == "__main__":
    main()
