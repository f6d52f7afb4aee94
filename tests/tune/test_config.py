import pytest

import autonn
from autonn.tune import default_name


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"trials": 0}, "`trials` must be at least 1, but got 0"),
        ({"sampler": "cmaes"}, "sampler"),
        ({"objectives": ("size_bytes", "latency_ms")}, "one metric of accuracy"),
        ({"objectives": ("rmse", "size_bytes")}, "classification search must be distinct"),
        ({"objectives": ("accuracy", "f1_macro", "size_bytes")}, "one metric of"),
        ({"task": "regression", "objectives": ("accuracy", "size_bytes")}, "rmse, mae"),
        ({"target": "coreml"}, "`target` must be one of onnx, litert, tflm"),
        ({"floor": 1.5}, "`floor` must be between 0 and 1"),
        ({"limits": ("ram<=64KB",)}, "unknown name 'ram'"),
        ({"device": "uno"}, "unknown board"),
        ({"task": "ranking"}, "`task` must be one of"),
        ({"objectives": ("accuracy", "flops")}, "distinct names"),
        ({"name": "a/b"}, "name"),
    ],
)
def test_search_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        autonn.SearchConfig(space="mlp", data="digits", **kwargs)


def test_objectives_default_to_the_tasks_metric_and_size():
    config = autonn.SearchConfig(space="mlp", data="diabetes", task="regression")
    assert config.objectives == ("rmse", "size_bytes") and config.metric == "rmse"
    assert config.as_dict()["metric"] == "rmse" and config.as_dict()["task"] == "regression"
    assert autonn.SearchConfig(space="mlp", data="digits").objectives == ("accuracy", "size_bytes")
    custom = autonn.SearchConfig(
        space="mlp", data="diabetes", task="regression", objectives=("latency_ms", "mae")
    )
    assert custom.metric == "mae"


def test_config_errors_name_the_flag_on_the_command_line():
    from autonn.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        autonn.SearchConfig(space="mlp", data="digits", max_epochs=0)
    assert err.value.for_cli() == "--max-epochs must be at least 1, but got 0"


def test_run_config_rejects_bad_resources():
    with pytest.raises(ValueError, match="cpus_per_trial"):
        autonn.RunConfig(cpus_per_trial=0)


def test_default_name_says_what_was_searched():
    name = default_name(autonn.SearchConfig(space="spaces/tiny.py:space", data="x/sensors.npz"))
    assert name.startswith("sensors-tiny-")
