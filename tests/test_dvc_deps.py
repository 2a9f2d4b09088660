"""dvc.yaml's dependencies match the code: each stage depends on exactly the library modules it imports.

A module a stage uses but does not list would let an edit there go unnoticed by `dvc repro`; one it lists
but does not use re-runs the stage for nothing. The modules are derived from the stage script's imports,
followed through the library (imports inside functions count: they run when the stage runs).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def imported_modules(path: Path) -> set[str]:
    """The gemelo modules a file imports, anywhere in it, as dotted names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "gemelo"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "gemelo":
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names if module_file(f"{node.module}.{a.name}")}
    return found


def module_file(name: str) -> Path | None:
    base = SRC.joinpath(*name.split("."))
    return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.exists()), None)


def closure(script: Path) -> set[str]:
    """Every library file that running the script imports, as paths relative to the project root."""
    files, todo = set(), [script]
    while todo:
        for name in imported_modules(todo.pop()):
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # importing gemelo.x runs gemelo/__init__.py too
                f = module_file(".".join(parts[:i]))
                if f and f not in files:
                    files.add(f)
                    todo.append(f)
    return {str(f.relative_to(ROOT)) for f in files}


def stages() -> dict[str, dict]:
    """The stages of the pipeline and of export/dvc.yaml (whose stages run in the project root)."""
    found = {}
    for dvc_yaml in (ROOT / "dvc.yaml", ROOT / "export" / "dvc.yaml"):
        spec = yaml.safe_load(dvc_yaml.read_text(encoding="utf-8"))["stages"]
        found |= {name: s.get("do", s) for name, s in spec.items()}
    return found


@pytest.mark.parametrize("name", sorted(stages()))
def test_a_stage_depends_on_exactly_the_modules_it_imports(name):
    stage = stages()[name]
    script = stage["cmd"].split()[1]
    assert script == f"stages/{name}.py" and script in stage["deps"]
    listed = {d for d in stage["deps"] if d.startswith("src/")}
    assert listed == closure(ROOT / script), f"dvc.yaml, stage {name}: deps on src/ should be exactly these"


def test_the_closure_follows_imports_inside_functions(tmp_path):
    """The check itself can fail: a module imported only inside a function is found."""
    script = tmp_path / "s.py"
    script.write_text("def f():\n    from gemelo.evaluation import score\n", encoding="utf-8")
    found = closure(script)
    assert {"src/gemelo/__init__.py", "src/gemelo/evaluation.py", "src/gemelo/training.py"} <= found
    assert "src/gemelo/parsing/text.py" not in found
