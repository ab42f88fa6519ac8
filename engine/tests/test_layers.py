"""The engine's layers point one way (issue 14 item 3, docs/ARCHITECTURE.md "Layers"): every `import` of a
wsss_engine module — at the top of a file or inside a function — goes to the same layer or a lower one.
Read from the source with `ast`, so lazy imports count too and nothing is imported."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "wsss_engine"

# Lowest first. A module belongs to the layer of its longest listed prefix.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("errors", "json_input", "safe_pickle", "device", "device_list")),
    ("storage and data", ("data", "losses", "runs")),  # runs/: the run folder, its config, metrics, active runs
    ("models", ("models",)),
    (
        "method",
        ("evaluation", "inference", "refine", "segmentation", "pole", "prompts", "synthetic", "training", "clip_cam"),
    ),
    ("stage contract", ("stage_registry", "stage_params", "stage_context", "run_config", "preflight")),
    ("stages", ("stages",)),
    ("run driver", ("stage_runner", "pipeline", "distributed_run", "plugins")),
    ("runs of runs", ("experiments", "cluster")),  # experiments drive the pipeline; cluster jobs create run folders
    ("hosts", ("rpc", "cli", "daemon_cli", "__main__", "synthetic.demo")),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    best, level = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, level = len(prefix), index
    assert level >= 0, f"wsss_engine.{module} is in no layer: add it to LAYERS"
    return level


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """wsss_engine modules (relative to the package) that `source`, the text of `module`, imports;
    `from x import name` counts as `x.name` when that is a module, else `x`."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1] if node.level > 1 else package
                stem = ".".join(["wsss_engine", *base, *([node.module] if node.module else [])])
            else:
                stem = node.module or ""
            targets = [f"{stem}.{a.name}" if _is_module(f"{stem}.{a.name}") else stem for a in node.names]
        else:
            continue
        out.update(t.removeprefix("wsss_engine.") for t in targets if t.startswith("wsss_engine."))
    return out


def _is_module(dotted: str) -> bool:
    rel = Path(*dotted.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").is_file() or (PACKAGE / rel / "__init__.py").is_file()


def upward_imports(extra: dict[str, str] | None = None) -> list[str]:
    """'a (layer) -> b (layer)' for every import that goes up; `extra`: {module: source} checked as well."""
    files = {module_name(p): (p.read_text(encoding="utf-8"), p.name == "__init__.py") for p in PACKAGE.rglob("*.py")}
    files.update({m: (text, False) for m, text in (extra or {}).items()})
    found = []
    for source, (text, is_package) in sorted(files.items()):
        if not source:
            continue
        for target in sorted(imported_modules(text, source, is_package)):
            if layer_of(target) > layer_of(source):
                found.append(f"{source} ({LAYERS[layer_of(source)][0]}) -> {target} ({LAYERS[layer_of(target)][0]})")
    return found


def test_every_module_has_a_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        if module_name(path):
            layer_of(module_name(path))


def test_imports_point_down_the_layers() -> None:
    assert upward_imports() == []


def test_the_check_sees_lazy_and_relative_imports() -> None:
    """The reader finds an import inside a function and resolves `..` against the file's package."""
    probe = "def f():\n    from ..stages import references\n    import wsss_engine.pipeline\n"
    assert imported_modules(probe, "models.probe") == {"stages.references", "pipeline"}
    assert imported_modules("from . import layout\n", "data", is_package=True) == {"data.layout"}
    found = upward_imports({"models.probe": probe})
    assert "models.probe (models) -> stages.references (stages)" in found
    assert "models.probe (models) -> pipeline (run driver)" in found


def test_no_module_imports_another_ones_private_names() -> None:
    """What one module needs of another has a public name (distributed_run once took pipeline's `_helpers`)."""
    private = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("wsss_engine")):
                private += [
                    f"{module_name(path)}: {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert private == []
