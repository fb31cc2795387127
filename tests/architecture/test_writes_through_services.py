"""Every write goes through the service layer: outside ``core/services/`` and the
migrations, no code creates, saves, inserts, updates or deletes rows through a model.

Checked on the AST: calls of peewee's write methods on names imported from a
``models`` module (``accord.models``, ``.models``, a plugin's own ``models``), on
model classes declared in the file, or on a record type's ``model``; ``.save()``/``.delete_instance()`` on anything;
and any write query (``x.update(...)…execute()``) whatever its receiver, which is how
the builtin hooks, queries and metrics are kept read-only. Tests and benchmarks (whose
raw-peewee baselines write on purpose) are not scanned.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Code that must not write except through the services.
SCANNED = [ROOT / "core", ROOT / "sdk", ROOT / "plugins"]
#: Where writes belong: the core's service layer and migrations; a plugin's
#: ``services`` module or package and its ``migrations`` folder.
ALLOWED_DIRS = {"services", "migrations"}
ALLOWED_FILES = {"services.py"}

MODEL_WRITES = {
    "create", "save", "insert", "insert_many", "insert_from", "replace", "replace_many",
    "update", "delete", "delete_instance", "delete_by_id", "set_by_id", "get_or_create",
    "bulk_create", "bulk_update", "create_table", "create_tables", "drop_table",
    "truncate_table",
}
#: Methods that write whatever object they are called on.
INSTANCE_WRITES = {"save", "delete_instance"}
#: Query builders that make a write query once executed.
QUERY_WRITES = {"update", "delete", "insert", "insert_many", "insert_from", "replace",
                "replace_many"}
MODEL_BASES = {"Model", "BaseModel", "BaseRecord", "OwnedRecord"}

#: Known writes outside the service layer, reported to the lead; each entry must still
#: match a finding (so a fixed one is removed from here) and no new one may appear.
KNOWN: dict[str, str] = {}


def _is_models_module(module: str | None) -> bool:
    return module is not None and "models" in module.split(".")


def model_names(tree: ast.AST) -> set[str]:
    """Names bound to models in a module: imported from a models module, or declared."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _is_models_module(node.module):
            names.update(alias.asname or alias.name for alias in node.names)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                     for b in node.bases}
            if bases & (MODEL_BASES | names):
                names.add(node.name)
    return names


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_generic_model(node: ast.expr) -> bool:
    """``model`` or ``<something>.model``: the model of a record type, whichever it is."""
    return (isinstance(node, ast.Name) and node.id == "model") or (
        isinstance(node, ast.Attribute) and node.attr == "model")


def _chain_write(node: ast.expr) -> ast.Attribute | None:
    """The write method inside a call chain such as ``m.update(...).where(...)``."""
    while isinstance(node, (ast.Attribute, ast.Call)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in QUERY_WRITES:
            return node.func
        node = node.func if isinstance(node, ast.Call) else node.value
    return None


def writes(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, description) of every write a module makes through models."""
    models = model_names(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method, receiver = node.func.attr, node.func.value
        if isinstance(receiver, ast.Name) and receiver.id in models and method in MODEL_WRITES:
            found.append((node.lineno, f"{receiver.id}.{method}(...)"))
        elif _is_generic_model(receiver) and method in MODEL_WRITES:
            found.append((node.lineno, f"{ast.unparse(receiver)}.{method}(...)"))
        elif method in INSTANCE_WRITES:
            found.append((node.lineno, f"{ast.unparse(receiver)}.{method}()"))
        elif method == "execute" and (write := _chain_write(receiver)) is not None \
                and not _is_generic_model(write.value) and _root_name(write) not in models:
            found.append((node.lineno, f"{_root_name(receiver)}….{write.attr}(...)….execute()"))
    return sorted(found)


def _allowed(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return bool(set(parts[:-1]) & ALLOWED_DIRS) or path.name in ALLOWED_FILES


def findings() -> dict[str, int]:
    out: dict[str, int] = {}
    for root in SCANNED:
        for path in sorted(root.rglob("*.py")) if root.is_dir() else []:
            if _allowed(path):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for line, what in writes(tree):
                out[f"{path.relative_to(ROOT)}: {what}"] = line
    return out


def test_no_writes_outside_the_service_layer():
    found = findings()
    new = [f"{key} (line {line})" for key, line in found.items() if key not in KNOWN]
    assert not new, ("write through the service layer (accord.services) instead:\n"
                     + "\n".join(new))


def test_known_exceptions_are_still_there():
    gone = [key for key in KNOWN if key not in findings()]
    assert not gone, f"fixed; remove from KNOWN in {Path(__file__).name}: {gone}"


def test_the_check_recognises_writes():
    source = (
        "from accord.models import Contact as C, Tag\n"
        "from .models import Note\n"
        "class Local(Note):\n    pass\n"
        "C.create(last_name='x')\n"
        "Tag.insert_many([]).execute()\n"
        "Local.delete().where(Local.id == 1).execute()\n"
        "record.save()\n"
        "rt.model.update(name='x').where(rt.model.id == 1).execute()\n"
        "columns = {}\ncolumns.update(a=1)\n"
        "Note.select().where(Note.id == 1).execute()\n"
        "C.get_or_none(C.id == 1)\n"
        "query = record_type.model.delete().where(record_type.model.id == 2)\n"
        "get_model().update(x=1).execute()\n"
    )
    assert [what for _, what in writes(ast.parse(source))] == [
        "C.create(...)", "Tag.insert_many(...)", "Local.delete(...)", "record.save()",
        "rt.model.update(...)", "record_type.model.delete(...)",
        "get_model….update(...)….execute()"]


def test_services_and_migrations_are_where_writes_belong():
    assert _allowed(ROOT / "core" / "services" / "crud.py")
    assert _allowed(ROOT / "core" / "migrations" / "0001_create_core_tables.py")
    assert _allowed(ROOT / "plugins" / "sales" / "services.py")
    assert not _allowed(ROOT / "core" / "builtin.py")
    assert not _allowed(ROOT / "plugins" / "sales" / "hooks.py")
