"""The layers, checked from the source: UI → pipeline → engines (speech, knowledge) → kiosk_app.core.

Every ``import`` statement of the three packages counts, at module level or inside a function
(a deferred import is still a dependency). A failure names the importing module and the import.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kiosk_app", "speech", "knowledge")

UI_DATA_ALLOWED = {"knowledge.types", "knowledge.bundle.schema"}  # plain data the screens show
# The events carry the answer card (``knowledge.types.Answer``: plain data, no engine).
CORE_DATA_ALLOWED = {"knowledge.types"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


MODULES = _modules()


def _resolve(name: str) -> str:
    """The module an import names: ``a.b.c`` when it is a module of ours, else its longest known prefix."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import of one of our packages in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    yield node.lineno, _resolve(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:  # "from pkg import module" imports that module
                full = f"{node.module}.{alias.name}"
                yield node.lineno, full if full in MODULES else _resolve(node.module)


GRAPH: dict[str, set[str]] = {
    mod: {target for _line, target in _imports(path) if target and target != mod}
    for mod, path in MODULES.items()
}


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _violations(source: str, allowed: Callable[[str], bool]) -> list[str]:
    found = []
    for mod, path in MODULES.items():
        if not _in(mod, source):
            continue
        for line, target in _imports(path):
            if not allowed(target):
                found.append(f"{path.relative_to(ROOT)}:{line}: {mod} imports {target}")
    return sorted(set(found))


def test_speech_imports_only_the_app_core_and_never_knowledge() -> None:
    def allowed(target: str) -> bool:
        app_ok = not _in(target, "kiosk_app") or _in(target, "kiosk_app.core")
        return app_ok and not _in(target, "knowledge")

    assert _violations("speech", allowed) == []


def test_knowledge_imports_only_the_app_core_and_never_speech() -> None:
    def allowed(target: str) -> bool:
        app_ok = not _in(target, "kiosk_app") or _in(target, "kiosk_app.core")
        return app_ok and not _in(target, "speech")

    assert _violations("knowledge", allowed) == []


def test_the_core_imports_nothing_of_the_app_or_the_engines() -> None:
    def allowed(target: str) -> bool:
        if target in CORE_DATA_ALLOWED:
            return True
        return _in(target, "kiosk_app.core") or not any(_in(target, p) for p in PACKAGES)

    assert _violations("kiosk_app.core", allowed) == []


def test_the_ui_imports_no_engine() -> None:
    def allowed(target: str) -> bool:
        if _in(target, "speech"):
            return False
        if _in(target, "knowledge"):
            return target in UI_DATA_ALLOWED
        return True

    assert _violations("kiosk_app.ui", allowed) == []


def _cycles(package: str) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), inside ``package``."""
    nodes = [m for m in GRAPH if _in(m, package)]
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if not _in(w, package):
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


@pytest.mark.parametrize("package", ["kiosk_app", "speech", "knowledge"])
def test_no_import_cycle(package: str) -> None:
    assert _cycles(package) == []


def test_the_checker_sees_imports_and_cycles() -> None:
    # the rules above would pass on an empty graph: make sure the graph is real
    assert "kiosk_app.core.errors" in GRAPH["speech.audio.mic"]  # from kiosk_app.core.errors import …
    assert "speech.audio.format" in GRAPH["speech.asr.whisper_engine"]
    assert "knowledge.recordings.members" in GRAPH["knowledge.bundle.schema"]  # deferred, in a function
    assert "kiosk_app.wiring" in GRAPH["kiosk_app.ui.app"]  # "from kiosk_app import wiring" in a function
    assert _in("kiosk_app.pipeline.run", "kiosk_app.pipeline")
    assert not _in("kiosk_app.pipelines", "kiosk_app.pipeline")
    saved = {k: set(v) for k, v in GRAPH.items()}
    try:
        GRAPH["speech.audio.format"].add("speech.audio.wav")  # wav imports format: a cycle now
        assert ["speech.audio.format", "speech.audio.wav"] in _cycles("speech")
    finally:
        GRAPH.clear()
        GRAPH.update(saved)
