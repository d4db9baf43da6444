"""The layers, checked from the source: UI → pipeline → engines (speech, knowledge) → kiosk_app.core.

Every ``import`` statement of the three packages counts, at module level or inside a function
(a deferred import is still a dependency). A failure names the importing module and the import.
Two shape rules ride along: composition, not mixins (no ``*Mixin`` class, no class with two bases
of ours), and one import path per name (no re-export outside a package's ``__init__.py`` facade).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterable, Iterator
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


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _ours(node: ast.ImportFrom) -> bool:
    return bool(node.module) and node.level == 0 and node.module.split(".")[0] in PACKAGES  # type: ignore[union-attr]


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import of one of our packages in ``path``."""
    for node in ast.walk(_tree(path)):
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


_VI_LETTERS = frozenset("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
_STAFF_SENTENCE_NAMES = frozenset({"message_vi", "problem_vi", "detail_vi", "error_vi"})


def _bound_names(node: ast.AST) -> list[str]:
    """The identifiers a node names or binds (a variable, attribute, function, parameter, field)."""
    if isinstance(node, ast.Name | ast.arg):
        return [node.id if isinstance(node, ast.Name) else node.arg]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.FunctionDef):
        return [node.name]
    return []


def _strings(node: ast.AST) -> str:
    return "".join(c.value for c in ast.walk(node)
                   if isinstance(c, ast.Constant) and isinstance(c.value, str))


def _staff_sentences(source: str, where: str) -> list[str]:
    """Engine code that builds a Vietnamese sentence for staff: a ``message_vi``-like name, or a
    Vietnamese string handed to an exception (``raise X(..., "…")``). Sentences live in the UI
    (``kiosk_app/ui/bundle_messages.py``), keyed by the error's ``reason``."""
    out: list[str] = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        out += [f"{where}:{line}: {n}" for n in _bound_names(node) if n in _STAFF_SENTENCE_NAMES]
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            args = [*node.exc.args, *(k.value for k in node.exc.keywords)]
            if any(_VI_LETTERS & set(_strings(a).lower()) for a in args):
                out.append(f"{where}:{line}: Vietnamese text in a raised error")
    return out


@pytest.mark.parametrize("package", ["speech", "knowledge"])
def test_engines_build_no_staff_sentences(package: str) -> None:
    found = [v for mod, path in MODULES.items() if _in(mod, package)
             for v in _staff_sentences(path.read_text(encoding="utf-8"), mod)]
    assert found == []


def test_the_staff_sentence_check_sees_them() -> None:
    assert _staff_sentences("class I:\n    message_vi: str\n", "m") == ["m:2: message_vi"]
    assert _staff_sentences("raise E('bad', f'Tệp {n} bị hỏng.')\n", "m") != []
    assert _staff_sentences("raise E('bad', 'zip-odd-dir', name=n)\n", "m") == []


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


# --- composition, not mixins --------------------------------------------------------------------


def _our_names(tree: ast.Module) -> set[str]:
    """Names that stand for something of ours: imported from our packages, or a class defined here."""
    names = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _ours(node):
            names |= {a.asname or a.name for a in node.names}
    return names


def _mixins(tree: ast.Module, where: str) -> list[str]:
    """Classes named ``…Mixin``, and classes that inherit from more than one class of ours."""
    ours = _our_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = [b.id for b in node.bases if isinstance(b, ast.Name) and b.id in ours]
        if node.name.endswith("Mixin") or len(bases) > 1:
            found.append(f"{where}:{node.lineno}: class {node.name}({', '.join(bases)})")
    return found


def test_no_mixins() -> None:
    found = [f for mod, path in MODULES.items() for f in _mixins(_tree(path), mod)]
    assert found == []


# --- one import path per name -------------------------------------------------------------------


def _top_level(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """A module's statements, and those inside its top-level ``if``/``try`` blocks."""
    for node in body:
        yield node
        if isinstance(node, ast.If | ast.Try):
            parts = [node.body, node.orelse]
            if isinstance(node, ast.Try):
                parts += [node.finalbody, *(h.body for h in node.handlers)]
            for part in parts:
                yield from _top_level(part)


def _is_all(node: ast.stmt) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
        if isinstance(node, ast.AnnAssign | ast.AugAssign) else []
    return any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)


@functools.cache
def _defines(mod: str) -> tuple[frozenset[str], frozenset[str]]:
    """(names module ``mod`` defines, names it imports at module level from our non-module names)."""
    defined: set[str] = set()
    imported: set[str] = set()
    for node in _top_level(_tree(MODULES[mod]).body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.ImportFrom) and _ours(node):
            imported |= {a.asname or a.name for a in node.names if f"{node.module}.{a.name}" not in MODULES}
    return frozenset(defined), frozenset(imported - defined)


def _used_names(tree: ast.Module) -> set[str]:
    """Names the module reads, outside ``__all__``; quoted annotations count ("BundleStatus")."""
    skip = {id(n) for stmt in tree.body if _is_all(stmt) for n in ast.walk(stmt)}
    used: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Name):
            used.add(node.id)
        for ann in (getattr(node, "annotation", None), getattr(node, "returns", None)):
            for sub in ast.walk(ann) if isinstance(ann, ast.expr) else ():
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    quoted = ast.parse(sub.value, mode="eval")
                    used |= {n.id for n in ast.walk(quoted) if isinstance(n, ast.Name)}
    return used


def _reexports(tree: ast.Module, where: str) -> list[str]:
    """Names imported from our packages (not modules: a module import may be for its side effects,
    like the shared kv rules of ``kiosk_app.ui.widgets``) that the module never uses except in
    ``__all__``: an import kept only to be re-exported. Star imports of ours re-export everything."""
    used = _used_names(tree)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and _ours(node)):
            continue
        for a in node.names:
            is_module = f"{node.module}.{a.name}" in MODULES
            if a.name == "*" or (not is_module and (a.asname or a.name) not in used):
                found.append(f"{where}:{node.lineno}: re-exports {node.module}.{a.name}")
    return found


def _through(mod: str, name: str) -> bool:
    """True when ``mod.name`` reaches a name that ``mod`` only imports (a second path to it).
    A package's ``__init__.py`` is its facade and may re-export; submodules are not names."""
    if mod not in MODULES or MODULES[mod].name == "__init__.py" or f"{mod}.{name}" in MODULES:
        return False
    defined, imported = _defines(mod)
    return name in imported and name not in defined


def _reads_through_reexports(tree: ast.Module, where: str) -> list[str]:
    """``from m import n`` and ``m.n`` where module ``m`` of ours only imports ``n``."""
    modules: dict[str, str] = {m: m for m in MODULES}  # "import a.b" then "a.b.n"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _ours(node):
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if full in MODULES:
                    modules[a.asname or a.name] = full
                elif _through(node.module, a.name):  # type: ignore[arg-type]
                    found.append(f"{where}:{node.lineno}: from {node.module} import {a.name}")
        elif isinstance(node, ast.Import):
            modules |= {a.asname: a.name for a in node.names if a.asname and a.name in MODULES}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name | ast.Attribute):
            mod = modules.get(ast.unparse(node.value))
            if mod and _through(mod, node.attr):
                found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
    return sorted(set(found))


def test_no_module_keeps_an_import_only_to_re_export_it() -> None:
    found = [f for mod, path in MODULES.items() if path.name != "__init__.py"
             for f in _reexports(_tree(path), mod)]
    assert found == []


def test_every_name_is_imported_from_its_module_or_its_package() -> None:
    """Callers, tests and benchmarks too: nobody reaches a name through a module that re-exports it."""
    paths = [*MODULES.values(), *sorted((ROOT / "tests").rglob("*.py")),
             *sorted((ROOT / "bench").glob("*.py")), *sorted((ROOT / "scripts").glob("*.py"))]
    found = [f for p in paths for f in _reads_through_reexports(_tree(p), str(p.relative_to(ROOT)))]
    assert found == []


def test_the_shape_checks_can_fail() -> None:
    def mixins(text: str) -> list[str]:
        return _mixins(ast.parse(text), "m")

    def reexports(text: str) -> list[str]:
        return _reexports(ast.parse(text), "m")

    def through(text: str) -> list[str]:
        return _reads_through_reexports(ast.parse(text), "m")

    ours = "from kiosk_app.ui.controller import Controller\nfrom kiosk_app.ui.kiosk_mode import KioskMode\n"
    assert mixins(ours + "class KioskApp(Controller, KioskMode): pass\n") != []
    assert mixins("class SpeakingMixin:\n    sm: object\n") != []
    assert mixins("from kivy.app import App\n" + ours + "class K(Controller, App): pass\n") == []

    reexport = "from knowledge.types import Answer\n__all__ = ['Answer']\n"
    assert reexports(reexport) == ["m:1: re-exports knowledge.types.Answer"]
    assert reexports("from knowledge.types import *\n") != []
    assert reexports(reexport + "def f(a: 'Answer') -> None: ...\n") == []  # used: not a re-export
    assert reexports("from kiosk_app.ui import widgets\n") == []  # a module, imported for its kv rules

    # versions.py imports read_info from version_check (and uses it): callers take the defining path
    assert through("from knowledge.bundle.versions import read_info\n") != []
    assert through("from knowledge.bundle import versions\nversions.read_info\n") != []
    assert through("import knowledge.bundle.versions as v\nv.read_info\n") != []
    assert through("from knowledge.bundle.version_check import read_info\n"
                   "from knowledge.bundle import versions\nversions.status\n") == []
    assert through("from speech.audio import read_wav\n") == []  # the package's facade
