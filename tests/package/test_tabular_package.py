"""A user's own CSV (string labels, a text category, blanks, an all-blank column) searched for real
(Ray, training, SQLite), exported, and run on raw rows through `autonn predict`,
`autonn.load(...).predict(df)` and the package's predict.py."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import autonn
from autonn.cli import main

pytestmark = pytest.mark.integration


def _pets(n: int = 150) -> pd.DataFrame:
    """The species follows the colour and the size, so a tiny search learns something."""
    rng = np.random.default_rng(1)
    i = np.arange(n)
    colour = np.array(["red", "green", "blue"])[i % 3]
    size = rng.normal(5.0, 1.0, n).round(3)
    species = np.where((colour == "red") | (size > 5.5), "dog", "cat")
    return pd.DataFrame(
        {
            "size": np.where(i % 7 == 0, np.nan, size),
            "colour": np.where(i % 11 == 0, None, colour),
            "weight": np.where(i % 5 == 0, np.nan, rng.normal(50.0, 5.0, n).round(2)),
            "species": species,
            "notes": np.full(n, np.nan),  # blank in every row
        }
    )


@pytest.fixture(scope="module")
def pets_export(tmp_path_factory):
    import ray

    started_ray = not ray.is_initialized()
    root = tmp_path_factory.mktemp("pets")
    _pets().to_csv(root / "pets.csv", index=False)
    config = autonn.SearchConfig(
        space="mlp", data=str(root / "pets.csv"), label="species", name="pets-test",
        trials=2, max_epochs=3, early_stop=False, seed=0,
    )  # fmt: skip
    run = autonn.RunConfig(
        storage=f"sqlite:///{root}/autonn.db", artifacts=str(root / "artifacts"), max_concurrent=2
    )
    search = autonn.search(config, run)
    out = root / "export"
    assert main(["export", search.name, "--storage", run.storage, "--out", str(out)]) == 0
    yield search, root, out
    if started_ray:
        ray.shutdown()


# Raw rows as a user has them, without the label column: an unseen category, a blank in every
# column, a blank category, and a value in the column that was blank in all training rows.
NEW_ROWS = (
    "size,colour,weight,notes\n"
    "5.2,purple,48.0,\n"
    ",,,\n"
    "4.1,,55.5,\n"
    "6.3,red,,seen now\n"
    "4.0,blue,49.0,\n"
)


def test_the_card_carries_the_preprocessing_fitted_on_training_rows(pets_export):
    search, _, out = pets_export
    assert [t.state for t in search.trials] == ["COMPLETE"] * 2
    card = json.loads((out / "model_card.json").read_text())
    pre = card["preprocessing"]
    columns = {c["name"]: c for c in pre["tabular"]["columns"]}
    assert [c["kind"] for c in columns.values()] == ["number", "category", "number", "empty"]
    assert columns["colour"]["categories"] == ["blue", "green", "red"]
    assert pre["input_shape"] == [5] and pre["class_values"] == ["cat", "dog"]
    assert card["verification"]["test_accuracy"] == pytest.approx(
        search.trial(card["trial"]["number"]).test_score, abs=0.005
    )
    markdown = (out / "MODEL_CARD.md").read_text()
    assert "`colour`: category, one-hot over [blue, green, red]" in markdown
    assert "`notes`: blank in every training row: dropped" in markdown
    assert f"a blank becomes the median {columns['size']['median']:.4g}" in markdown


def test_predict_takes_raw_rows_the_same_three_ways(pets_export, tmp_path, capsys):
    _, _, out = pets_export
    (tmp_path / "rows.csv").write_text(NEW_ROWS)
    assert main(["predict", str(out), str(tmp_path / "rows.csv"), "--proba"]) == 0
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert lines[0] == "label,p_cat,p_dog" and len(lines) == 6
    assert {line.split(",")[0] for line in lines[1:]} <= {"cat", "dog"}

    model = autonn.load(out)
    rows = pd.read_csv(tmp_path / "rows.csv")
    from_frame = model.predict(rows)
    assert [line.split(",")[0] for line in lines[1:]] == list(from_frame)
    assert np.isfinite(model.predict_proba(rows)).all()

    script = subprocess.run(
        [sys.executable, str(out / "predict.py"), str(tmp_path / "rows.csv"), "--proba"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    assert script.stdout == printed

    namespace: dict = {}  # the card's recipe without autonn, as a user copies it
    exec(json.loads((out / "model_card.json").read_text())["usage"], namespace)
    assert list(namespace["predict"](rows)) == list(from_frame)


def test_blanks_and_unknown_categories_mean_median_and_no_category(pets_export):
    _, _, out = pets_export
    model = autonn.load(out)
    medians = {c.name: c.median for c in model.tabular.columns if c.kind == "number"}
    blank = pd.DataFrame({"size": [None], "colour": [None], "weight": [None], "notes": [None]})
    explicit = pd.DataFrame(
        {"size": [medians["size"]], "colour": ["never seen"], "weight": [medians["weight"]]}
    )
    np.testing.assert_array_equal(model.prepare(blank), model.prepare(explicit))
    np.testing.assert_allclose(model.logits(blank), model.logits(explicit))
    # the training file itself is valid input: its label column is dropped
    train = model.read_inputs(out.parent / "pets.csv")
    assert "species" not in train.columns and len(model.predict(train)) == 150
