"""The dependency lists in pyproject.toml say exactly what the code imports.

Every third-party module imported anywhere in parity/, harness/ or reference/ (at the top of a
file or inside a function) is declared in ``dependencies`` or an extra; every declared package is
imported somewhere, tests included (``pytest.importorskip("X")`` counts); the reference imports
NumPy and the standard library only.
"""

import ast
import re
import sys
import tomllib
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"reference", "parity", "harness", "tests"}
#: Import name -> distribution name, where the two differ.
DISTRIBUTION = {"PIL": "pillow", "tensorflow": "tensorflow-cpu"}
#: Imported but deliberately not declared here, with the reason. Warned about once declared.
NOT_DECLARED = {
    "jax": "imported only when Keras runs on its jax backend (parity.backends.keras.autodiff); "
           "declared with the JAX/Flax framework's own extra",
}
#: Declared but never imported, with the reason.
NOT_IMPORTED = {
    "pytest-xdist": "a pytest plugin (-n): pytest loads it; parity's --parity-report plugin "
                    "merges its workers' records",
}


def normalize(name: str) -> str:
    """PEP 503: lower case, runs of -_. as one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules(folders) -> dict[str, str]:
    """Top-level third-party module -> first file:line importing it, over every .py file."""
    found = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module]
                elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "importorskip"
                      and node.args and isinstance(node.args[0], ast.Constant)):
                    names = [node.args[0].value]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in FIRST_PARTY and top not in sys.stdlib_module_names:
                        found.setdefault(top, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def declared(pyproject: dict) -> dict[str, str]:
    """Normalized distribution -> where it is declared (``dependencies`` or ``extra <name>``)."""
    project = pyproject["project"]
    lists = {"dependencies": project["dependencies"],
             **{f"extra {k}": v for k, v in project["optional-dependencies"].items()}}
    found = {}
    for where, requirements in lists.items():
        for requirement in requirements:
            name = normalize(re.match(r"[A-Za-z0-9._-]+", requirement).group())
            if name != normalize(project["name"]):  # extras pulling in other extras
                found.setdefault(name, where)
    return found


def undeclared(imports: dict[str, str], packages: dict[str, str]) -> dict[str, str]:
    """Imported modules whose distribution is not declared (module -> where imported)."""
    return {m: at for m, at in imports.items()
            if normalize(DISTRIBUTION.get(m, m)) not in packages and m not in NOT_DECLARED}


def unused(packages: dict[str, str], imports: dict[str, str]) -> dict[str, str]:
    """Declared distributions that nothing imports (distribution -> where declared)."""
    used = {normalize(DISTRIBUTION.get(m, m)) for m in imports}
    return {p: at for p, at in packages.items() if p not in used and p not in NOT_IMPORTED}


@pytest.fixture(scope="module")
def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def code_imports():
    return imported_modules(["parity", "harness", "reference"])


def test_every_imported_library_is_declared(pyproject, code_imports):
    packages = declared(pyproject)
    assert undeclared(code_imports, packages) == {}
    for module, reason in NOT_DECLARED.items():
        if normalize(DISTRIBUTION.get(module, module)) in packages:
            warnings.warn(f"{module} is declared now; drop it from NOT_DECLARED ({reason})")


def test_every_declared_package_is_imported(pyproject, code_imports):
    everything = code_imports | imported_modules(["tests"])
    assert unused(declared(pyproject), everything) == {}


def test_reference_imports_numpy_only():
    assert set(imported_modules(["reference"])) == {"numpy"}


def test_planted_faults_are_caught(pyproject, code_imports):
    packages = declared(pyproject)
    assert "joblib" in code_imports  # harness.runners.session runs seeds with joblib
    assert set(undeclared(code_imports, {p: w for p, w in packages.items() if p != "joblib"})) == {"joblib"}
    assert set(undeclared(code_imports | {"yaml": "x.py:1"}, packages)) == {"yaml"}
    assert set(unused(packages | {"left-over": "extra harness"}, code_imports)) >= {"left-over"}
    assert set(undeclared({"tensorflow": "x.py:1"}, {"tensorflow-cpu": "extra keras"})) == set()
