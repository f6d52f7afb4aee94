"""A pruned model comes back from its config and its weights alone (no pickled module)."""

import pytest
import torch

import autonn
from autonn.compress import fit_to_state_dict, prune_structured


@pytest.mark.parametrize(
    ("config", "shape"),
    [(autonn.MLP(hidden=(32, 16)), (13,)), (autonn.CNN(channels=(8, 16)), (1, 8, 8))],
)
def test_pruned_weights_rebuild_the_pruned_model(config, shape):
    torch.manual_seed(0)
    model = config.build(shape, 3).eval()
    x = torch.randn(4, *shape)
    prune_structured(model, 0.5, x[:2])
    rebuilt = fit_to_state_dict(config.build(shape, 3), model.state_dict()).eval()
    assert sum(p.numel() for p in rebuilt.parameters()) == sum(
        p.numel() for p in model.parameters()
    )
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), model(x))
