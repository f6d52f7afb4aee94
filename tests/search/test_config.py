import pytest

import autonn
from autonn.search import default_name


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"trials": 0}, "trials >= 1"),
        ({"sampler": "cmaes"}, "sampler"),
        ({"objectives": ("size_bytes", "latency_ms")}, "'accuracy'"),
        ({"objectives": ("accuracy", "flops")}, "distinct names"),
        ({"name": "a/b"}, "name"),
    ],
)
def test_search_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        autonn.SearchConfig(space="mlp", data="digits", **kwargs)


def test_run_config_rejects_bad_resources():
    with pytest.raises(ValueError, match="cpus_per_trial"):
        autonn.RunConfig(cpus_per_trial=0)


def test_default_name_says_what_was_searched():
    name = default_name(autonn.SearchConfig(space="spaces/tiny.py:space", data="x/sensors.npz"))
    assert name.startswith("sensors-tiny-")
