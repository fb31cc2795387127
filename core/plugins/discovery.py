"""Finding plugins: the ``accord.plugins`` entry points, a local folder, or code.

Discovery reads manifests only; importing the hooks module happens at load.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable


__all__ = ["Candidate", "from_entry_points", "from_folder", "from_object", "ENTRY_POINT_GROUP",
           "DISTRIBUTION"]

ENTRY_POINT_GROUP = "accord.plugins"
#: The distribution Accord itself is installed as; its plugins are the bundled ones.
DISTRIBUTION = "accord-crm"


@dataclass
class Candidate:
    """A plugin found somewhere, not yet loaded."""

    name: str
    source: str
    load_manifest: Callable[[], Any]
    load_hooks: Callable[[], Any]
    folder: Path | None = None
    #: The installed distribution that registers it (an entry point's), if any.
    distribution: str | None = None

    @property
    def bundled(self) -> bool:
        """Shipped with Accord itself (sales, competitors), not by a third party."""
        return self.distribution == DISTRIBUTION


def _package_of(module_path: str) -> str:
    return module_path.rsplit(".", 1)[0] if "." in module_path else module_path


def _manifest_of(module: str) -> Callable[[], Any]:
    """A loader of ``module.MANIFEST`` (imported when called)."""
    return lambda: importlib.import_module(module).MANIFEST


def _local(module: str, root: Path, attribute: str | None = None) -> Callable[[], Any]:
    """A loader of a local plugin's ``module`` (or of one of its attributes).

    The folder is on ``sys.path`` only while the import runs, so one kernel's plugins
    folder never shadows another's packages afterwards. A module of the same name
    imported earlier from another place (another kernel's folder) is forgotten first,
    so each kernel gets the plugin its own folder holds."""

    def load() -> Any:
        top = module.split(".", 1)[0]
        loaded = sys.modules.get(top)
        origin = getattr(loaded, "__file__", None)
        if loaded is not None and (origin is None or root not in Path(origin).parents):
            for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
                del sys.modules[name]
        sys.path.insert(0, str(root))
        try:
            imported = importlib.import_module(module)
        finally:
            sys.path.remove(str(root))
        return getattr(imported, attribute) if attribute else imported

    return load


def from_entry_points() -> list[Candidate]:
    """Plugins installed as packages (shipped ones and third parties alike)."""
    out = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        target = ep.value.split(":", 1)[0]
        package = _package_of(target)
        out.append(Candidate(
            name=ep.name,
            source=f"entry point {ep.value}" + (f" ({ep.dist.name})" if ep.dist else ""),
            load_manifest=_manifest_of(package),
            load_hooks=ep.load,
            distribution=ep.dist.name if ep.dist else None,
        ))
    return out


def from_folder(folder: str | os.PathLike[str]) -> list[Candidate]:
    """Plugins in a local folder: packages (``acme/__init__.py`` with MANIFEST and
    ``acme/hooks.py``) or single modules (``acme.py`` holding both)."""
    root = Path(folder).resolve()
    if not root.is_dir():
        return []
    out = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(("_", ".")):
            continue
        if entry.is_dir() and (entry / "__init__.py").exists():
            name = entry.name
            hooks = f"{name}.hooks" if (entry / "hooks.py").exists() else name
            out.append(Candidate(
                name=name, source=f"local {entry}", folder=entry,
                load_manifest=_local(name, root, "MANIFEST"), load_hooks=_local(hooks, root)))
        elif entry.suffix == ".py":
            name = entry.stem
            out.append(Candidate(
                name=name, source=f"local {entry}", folder=root,
                load_manifest=_local(name, root, "MANIFEST"), load_hooks=_local(name, root)))
    return out


def from_object(obj: Any) -> Candidate:
    """A plugin given in code: a module or an object with MANIFEST and hookimpls (tests)."""
    manifest = getattr(obj, "MANIFEST", None)
    if manifest is None and isinstance(obj, types.ModuleType):
        manifest = getattr(sys.modules.get(_package_of(obj.__name__)), "MANIFEST", None)
    manifest_name: str | None = getattr(manifest, "name", None)
    name: str = manifest_name if manifest_name else getattr(obj, "__name__", repr(obj))
    module_file = getattr(obj, "__file__", None) or getattr(
        sys.modules.get(type(obj).__module__), "__file__", None)
    folder = Path(module_file).parent if module_file else None
    return Candidate(name=name, source="code", folder=folder,
                     load_manifest=lambda: manifest, load_hooks=lambda: obj)
