"""The layout's promises, checked: a pure core, no import cycles (the layers are `lint-imports`' job)."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "connector" / "core"

# Modules whose import means the code reaches outside the process: files, sockets, processes, databases.
IO_MODULES = frozenset(
    {
        "fcntl",
        "http",
        "io",
        "os",
        "pathlib",
        "requests",
        "shutil",
        "socket",
        "sqlite3",
        "subprocess",
        "sys",
        "tempfile",
        "urllib",
        "urllib3",
        "hubspot",
        "structlog",
        "logging",
        "threading",
        "time",
    }
)


class TestPureCore:
    def test_core_loads_where_the_hubspot_sdk_cannot_be_imported(self) -> None:
        """`connector.core` and everything it imports load with `hubspot` and `urllib3` blocked."""
        script = textwrap.dedent(
            """
            import sys

            class Block:
                def find_spec(self, name, path=None, target=None):
                    if name.split(".")[0] in ("hubspot", "urllib3", "requests", "sqlite3"):
                        raise ImportError(f"{name} is blocked in this test")
                    return None

            sys.meta_path.insert(0, Block())
            import pkgutil, importlib
            import connector.core
            for info in pkgutil.iter_modules(connector.core.__path__):
                importlib.import_module(f"connector.core.{info.name}")
            loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("hubspot", "urllib3", "sqlite3"))
            print("loaded:", loaded)
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "loaded: []"

    def test_no_core_module_imports_io(self) -> None:
        """No module in `connector/core/` imports a file, network, process or database module, or calls open()."""
        offenders = []
        for path in sorted(CORE.glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
                    offenders.append(f"{path.name}:{node.lineno} open()")
                offenders += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[0] in IO_MODULES]
        assert offenders == []


class TestImports:
    def test_no_import_cycles_between_modules(self) -> None:
        """No module of `connector` imports, directly or through others, a module that imports it back."""
        graph = grimp.build_graph("connector")
        modules = sorted(m for m in graph.modules if m.startswith("connector"))
        cycles = []
        for module in modules:
            for imported in sorted(graph.find_modules_directly_imported_by(module)):
                if not imported.startswith("connector") or imported == module:
                    continue
                # A package's __init__ re-exporting its own submodules is not a cycle between layers.
                if imported.startswith(module + ".") or module.startswith(imported + "."):
                    continue
                back = graph.find_shortest_chain(importer=imported, imported=module)
                if back is not None:
                    cycles.append(" -> ".join([module, *back]))
        assert cycles == []
