"""`import autonn` is lazy (PEP 562): every public name still resolves, by attribute and by
`from autonn import X`, and importing the package or its store does not import Optuna."""

from __future__ import annotations

import subprocess
import sys
import types

import autonn


def test_every_public_name_resolves():
    for name in autonn.__all__:
        value = getattr(autonn, name)
        assert value is not None and not isinstance(value, types.ModuleType), name
    namespace: dict = {}
    exec("from autonn import *", namespace)
    assert set(autonn.__all__) <= set(namespace)
    assert set(autonn.__all__) <= set(dir(autonn))


def test_search_and_export_stay_functions_after_their_subpackages_are_imported():
    import autonn.export
    import autonn.search
    from autonn.export import export
    from autonn.search import search

    assert autonn.search is search and autonn.export is export
    assert sys.modules["autonn.search"].search is search


def test_a_subpackage_loads_on_first_use():
    code = "import autonn; print(autonn.compress.__name__, autonn.task.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["autonn.compress", "autonn.task"]


def test_the_package_pickles_by_reference_as_a_module_does():
    """Ray pickles a space function from a file by value, with `autonn` among its globals."""
    import pickle

    from ray import cloudpickle

    assert cloudpickle.loads(cloudpickle.dumps(autonn)) is autonn
    assert pickle.loads(pickle.dumps(autonn)) is autonn


def test_an_unknown_name_is_an_attribute_error():
    try:
        autonn.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_the_package_and_its_store_does_not_import_optuna():
    code = (
        "import sys, autonn, autonn.store; "
        "print(sorted(m for m in ('optuna', 'autonn.export', 'autonn.space') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
