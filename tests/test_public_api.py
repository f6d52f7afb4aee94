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


def test_search_and_export_are_functions_and_their_packages_have_other_names():
    """No public function shadows a subpackage: the packages behind them are autonn.tune (Ray
    Tune) and autonn.package (the exported package), importable under their own names."""
    import autonn.package as package
    import autonn.tune as tune

    assert callable(autonn.search) and autonn.search is tune.search
    assert callable(autonn.export) and autonn.export is package.export
    assert tune.SearchConfig is autonn.SearchConfig
    for shadowed in ("autonn.search", "autonn.export"):
        code = f"import {shadowed}"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert "ModuleNotFoundError" in out.stderr, shadowed


def test_a_subpackage_loads_on_first_use():
    code = "import autonn; print(autonn.compress.__name__, autonn.task.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["autonn.compress", "autonn.task"]


def test_the_package_pickles_by_reference_as_a_module_does():
    """Ray pickles a space function from a file by value, with `autonn` among its globals."""
    from ray import cloudpickle

    assert cloudpickle.loads(cloudpickle.dumps(autonn)) is autonn


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
        "print(sorted(m for m in ('optuna', 'autonn.package', 'autonn.space') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
