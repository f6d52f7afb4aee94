"""Choosing a target by name. The implementations load on first use: litert-torch alone takes
seconds to import, and `import autonn.target` must stay cheap."""

from __future__ import annotations

import importlib
import importlib.util

from autonn.errors import MissingDependency, UsageError
from autonn.target._base import Target

TARGETS = ("onnx", "litert", "tflm")

# name -> (module, class)
_IMPLEMENTATIONS = {
    "onnx": ("autonn.target._onnx", "OnnxTarget"),
    "litert": ("autonn.target._litert", "LiteRTTarget"),
    "tflm": ("autonn.target._tflm", "TFLMTarget"),
}
# The device targets convert with litert-torch and read .tflite files with ai-edge-litert's schema;
# tflm runs them in tflite-micro. import name -> the name pip installs.
_NEEDS = {
    "onnx": {},
    "litert": {"litert_torch": "litert-torch", "ai_edge_litert": "ai-edge-litert"},
    "tflm": {
        "litert_torch": "litert-torch",
        "ai_edge_litert": "ai-edge-litert",
        "tflite_micro": "tflite-micro",
    },
}
EXTRA = "edge"  # pip install 'autonn[edge]'


def get_target(name: str) -> Target:
    """The target called `name` (one of TARGETS).

    Raises UsageError for an unknown name and MissingDependency when the target's packages are
    not installed (the message says: pip install 'autonn[edge]').
    """
    if name not in _IMPLEMENTATIONS:
        raise UsageError(f"unknown target {name!r}; choose one of: {', '.join(TARGETS)}")
    for module, package in _NEEDS[name].items():
        # find_spec looks the package up without importing it.
        if importlib.util.find_spec(module) is None:
            raise MissingDependency(package, EXTRA)
    module, cls = _IMPLEMENTATIONS[name]
    return getattr(importlib.import_module(module), cls)()
