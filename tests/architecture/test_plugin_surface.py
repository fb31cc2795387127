"""The plugin-author surface carries no workaround for a missing core concept, and the
core names no shipped plugin (STYLE.md section 3, "Smells").

Checked on the source of plugins/ and core/:

- no ``ContextVar`` in a plugin (fields a verb owns are declared: ``VerbField``);
- no shipped plugin implements a global write hook (``record_defaults``,
  ``validate_records``, ``compute_fields``, ``validate_delete``, ``outbox_items``), and
  none branches on the record type's name in one: a record type carries its own rules
  (``RecordType(defaults=..., validate=..., compute=..., check_delete=...)``);
- no ``services.update(kernel, type, id, {}, ...)`` whose real values a hook injects;
- the core imports no shipped plugin and names none in a string, docstring or comment
  (``sales.opportunity``, ``sales.*``, ``/sales/``, ``[plugins.settings.sales]``…),
  outside the frozen migrations. The built-in role ``sales`` (a job function, not a
  plugin) and words such as "salesperson" or "after-sales" are not plugin names.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core"
PLUGINS = ROOT / "plugins"
#: The shipped plugins: every package under plugins/.
SHIPPED = sorted(p.name for p in PLUGINS.iterdir() if (p / "__init__.py").is_file())
#: Migrations of the core that are history: they may name the plugins they moved.
FROZEN = ["core/migrations/0001_*.py", "core/migrations/0002_*.py",
          "core/migrations/0005_*.py"]
WRITE_HOOKS = {"record_defaults", "validate_records", "compute_fields", "validate_delete",
               "outbox_items"}
#: Attributes of a record type that say which one it is.
IDENTITY = {"name", "plugin"}


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _modules(root: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(root.rglob("*.py")):
        if not any(fnmatch(_rel(path), pattern) for pattern in FROZEN):
            yield _rel(path), path.read_text(encoding="utf-8")


def _report(what: str, offenders: list[str]) -> str:
    return f"{what}:\n" + "\n".join(offenders)


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


# ContextVar -----------------------------------------------------------------------

def context_vars(source: str) -> list[int]:
    """Lines that name a ContextVar or import ``contextvars``, in any form."""
    lines = {n for n, text in enumerate(source.splitlines(), 1)
             if "ContextVar" in text or "contextvars" in text}
    for node in ast.walk(ast.parse(source)):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Call) and _called_name(node.func) in ("import_module",
                                                                         "__import__"):
            modules = [a.value for a in node.args[:1]
                       if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if any(m.split(".")[0] == "contextvars" for m in modules):
            lines.add(node.lineno)
    return sorted(lines)


def test_the_check_sees_context_vars():
    source = (
        "import contextvars\n"
        "from contextvars import ContextVar as Var\n"
        "x = 1\n"
        "UNLOCKED: 'ContextVar[bool]' = make()\n"
        "importlib.import_module('contextvars')\n"
    )
    assert context_vars(source) == [1, 2, 4, 5]


def test_no_plugin_uses_a_context_var():
    offenders = [f"{path}:{line}" for path, source in _modules(PLUGINS)
                 for line in context_vars(source)]
    assert not offenders, _report(
        "a plugin must not unlock fields with a ContextVar; declare them "
        "(RecordType(verb_fields=...)) and write with services.update(..., verb=...)",
        offenders)


# Global write hooks -----------------------------------------------------------------

def hook_impls(tree: ast.AST) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]]:
    """Every ``@hookimpl`` function (or one of any HookimplMarker) with the hook it
    implements: its name, or ``specname=``."""
    markers = {"hookimpl"} | {
        target.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and _called_name(node.value.func) == "HookimplMarker"
        for target in node.targets if isinstance(target, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            if _called_name(call.func if call else decorator) not in markers:
                continue
            spec = next((kw.value.value for kw in (call.keywords if call else [])
                         if kw.arg == "specname" and isinstance(kw.value, ast.Constant)),
                        node.name)
            found.append((node, str(spec)))
    return found


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def name_tests(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[int, str]]:
    """(line, code) of every test a hook implementation makes on which record type it
    was called for: a comparison, ``match``, ``startswith``/``endswith`` or a lookup by
    ``record_type``, ``record_type.name``/``.plugin`` or a variable holding them."""
    types = {a.arg for a in func.args.args + func.args.kwonlyargs if a.arg == "record_type"}
    names: set[str] = set()

    def identity(expr: ast.AST) -> bool:
        parents = {child: node for node in ast.walk(expr)
                   for child in ast.iter_child_nodes(node)}
        return any(
            (isinstance(n, ast.Attribute) and n.attr in IDENTITY and _root(n) in types)
            or (isinstance(n, ast.Name) and n.id in names)
            or (isinstance(n, ast.Name) and n.id in types
                and not isinstance(parents.get(n), ast.Attribute))
            for n in ast.walk(expr))

    grown = True
    while grown:  # aliases: rt = record_type; kind = record_type.name.split(".")[0]
        before = len(types) + len(names)
        for node in ast.walk(func):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in (t for t in targets if isinstance(t, ast.Name)):
                    if isinstance(node.value, ast.Name) and node.value.id in types:
                        types.add(target.id)
                    elif identity(node.value):
                        names.add(target.id)
        grown = len(types) + len(names) > before

    found = []
    for node in ast.walk(func):
        if isinstance(node, ast.Compare):
            hit = any(identity(side) for side in [node.left, *node.comparators])
        elif isinstance(node, ast.Match):
            hit = identity(node.subject)
        elif isinstance(node, ast.Subscript):
            hit = identity(node.slice)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            hit = (node.func.attr in ("startswith", "endswith") and identity(node.func.value)
                   ) or (node.func.attr == "get" and bool(node.args) and identity(node.args[0]))
        else:
            continue
        if hit:
            code = node.subject if isinstance(node, ast.Match) else node
            found.append((node.lineno, ast.unparse(code)))
    return sorted(found)


def write_hook_findings() -> list[str]:
    offenders = []
    for path, source in _modules(PLUGINS):
        for func, spec in hook_impls(ast.parse(source, path)):
            if spec in WRITE_HOOKS:
                offenders.append(f"{path}:{func.lineno}: implements {spec}")
                offenders += [f"{path}:{line}:   tests the record type: {code}"
                              for line, code in name_tests(func)]
    return offenders


def test_no_shipped_plugin_implements_a_global_write_hook():
    offenders = write_hook_findings()
    assert not offenders, _report(
        "a shipped plugin carries its write rules on its record types "
        "(RecordType(defaults=, validate=, compute=, check_delete=)), not in a global "
        "write hook called for every record type", offenders)


def test_the_check_sees_hooks_that_branch_on_the_record_type():
    source = (
        "from accord.hooks import hookimpl\n"
        "import pluggy\n"
        "mark = pluggy.HookimplMarker('accord')\n"
        "@hookimpl\n"
        "def validate_records(kernel, record_type, rows, existing, actor):\n"
        "    if record_type.name == 'acme.deal':\n"
        "        pass\n"
        "    elif record_type.name in ('acme.quote', 'acme.order'):\n"
        "        pass\n"
        "    if 'owner_id' in record_type.fields:\n"
        "        require(actor, f'{record_type.name}.write')\n"
        "@hookimpl(tryfirst=True)\n"
        "def record_defaults(kernel, record_type, rows, actor):\n"
        "    kind = record_type.name.split('.')[-1]\n"
        "    rt = record_type\n"
        "    if kind == 'deal' or rt is DEAL:\n"
        "        RULES[record_type.plugin](rows)\n"
        "@mark(specname='compute_fields')\n"
        "def totals(kernel, record_type, rows, existing):\n"
        "    match record_type.name:\n"
        "        case 'acme.quote':\n"
        "            pass\n"
        "    if record_type.name.startswith('acme.'):\n"
        "        pass\n"
        "@hookimpl\n"
        "def register_record_types():\n"
        "    return []\n"
    )
    tree = ast.parse(source)
    impls = {spec: func for func, spec in hook_impls(tree)}
    assert sorted(impls) == ["compute_fields", "record_defaults", "register_record_types",
                             "validate_records"]
    assert name_tests(impls["validate_records"]) == [
        (6, "record_type.name == 'acme.deal'"),
        (8, "record_type.name in ('acme.quote', 'acme.order')")]
    assert name_tests(impls["record_defaults"]) == [
        (16, "kind == 'deal'"), (16, "rt is DEAL"), (17, "RULES[record_type.plugin]")]
    assert name_tests(impls["compute_fields"]) == [
        (20, "record_type.name"), (23, "record_type.name.startswith('acme.')")]


# Empty updates ----------------------------------------------------------------------

def _empty_dict(node: ast.expr) -> bool:
    return (isinstance(node, ast.Dict) and not node.keys) or (
        isinstance(node, ast.Call) and _called_name(node.func) == "dict"
        and not node.args and not node.keywords)


def empty_updates(tree: ast.AST) -> list[int]:
    """Lines of ``update(kernel, type, id, {}, ...)`` (or ``data={}``) and of a
    ``bulk_update`` whose changes hold an empty dict: the service layer's signatures,
    which no ``dict.update`` or peewee ``update`` call has."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = _called_name(node.func)
        data = [kw.value for kw in node.keywords if kw.arg in ("data", "changes")]
        if called == "update":
            data += node.args[3:4]
            hit = any(_empty_dict(d) for d in data)
        elif called == "bulk_update":
            data += node.args[2:3]
            hit = any(_empty_dict(n) for d in data for n in ast.walk(d)
                      if isinstance(n, ast.expr))
        else:
            continue
        if hit:
            found.append(node.lineno)
    return found


def test_no_plugin_updates_with_an_empty_dict():
    offenders = [f"{path}:{line}" for path, source in _modules(PLUGINS)
                 for line in empty_updates(ast.parse(source, path))]
    assert not offenders, _report(
        "an update must carry its values: declare the fields the verb owns "
        "(RecordType(verb_fields=...)) and pass them with verb=...", offenders)


def test_the_check_sees_empty_updates():
    source = (
        "services.update(kernel, 'acme.deal', 1, {}, actor=actor, verb='won')\n"
        "update(kernel, 'acme.deal', 1, data=dict(), actor=actor)\n"
        "services.bulk_update(kernel, 'acme.deal', [(1, {}), (2, {'a': 1})], actor=actor)\n"
        "services.update(kernel, 'acme.deal', 1, {'stage': 2}, actor=actor)\n"
        "row.update({})\n"
        "Deal.update({}).execute()\n"
    )
    assert empty_updates(ast.parse(source)) == [1, 2, 3]


# The core names no shipped plugin -------------------------------------------------------

def _patterns(name: str) -> re.Pattern[str]:
    n = re.escape(name)
    return re.compile("|".join([
        rf"accord_{n}\b",                       # the package
        rf"(?<![\w-]){n}\.(?=[\w*{{<])",        # sales.opportunity, sales.*
        rf"(?<=[\w\]]\.){n}\b(?!-)",            # [plugins.settings.sales], x.sales
        rf"(?<![\w-]){n}/|/{n}(?![\w-])",        # /sales/, sales/opportunities
        rf"(?<![\w-]){n}_\w",                   # its tables: sales_opportunity
        rf"""["']{n}["']""",                    # "sales" quoted in a docstring's example
        rf"``{n}\s+\w",                         # ``sales opportunities``: its labels
        rf"\b{n}\s+plugin",                     # the sales plugin
    ]), re.IGNORECASE)


def _role_literals(tree: ast.AST) -> set[int]:
    """ids of the string constants that name a role: ``{"role": "sales"}``,
    ``role="sales"``, and the keys of a dict bound to a ``*ROLES*`` name."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            ids |= {id(v) for k, v in zip(node.keys, node.values)
                    if isinstance(k, ast.Constant) and k.value == "role"}
        elif isinstance(node, ast.keyword) and node.arg == "role":
            ids.add(id(node.value))
        elif (isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Dict)
              and any(isinstance(t, ast.Name) and "ROLE" in t.id.upper()
                      for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))):
            ids |= {id(k) for k in node.value.keys if k is not None}
    return ids


def _text_tokens(source: str) -> Iterator[tuple[int, str]]:
    """(first line, text) of every string literal's body and every comment."""
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            yield tok.start[0], tok.string
        elif tok.type == tokenize.STRING:
            head = re.match(r"[a-zA-Z]*('''|\"\"\"|'|\")", tok.string)
            assert head is not None
            # The prefix and opening quote hold no newline: line numbers stay exact.
            yield tok.start[0], tok.string[head.end():len(tok.string) - len(head.group(1))]


def plugin_mentions(source: str, plugins: list[str]) -> list[tuple[int, str]]:
    """(line, what) of every import of a shipped plugin's package, string constant equal
    to its name (a role's name excepted), and plugin-identifier use of its name in a
    string, docstring or comment."""
    tree = ast.parse(source)
    packages = {f"accord_{p}" for p in plugins}
    roles = _role_literals(tree)
    found: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {(node.lineno, f"imports {a.name}") for a in node.names
                      if a.name.split(".")[0] in packages}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] in packages:
            found.add((node.lineno, f"imports {node.module}"))
        elif isinstance(node, ast.Constant) and node.value in plugins and id(node) not in roles:
            found.add((node.lineno, f"names plugin {node.value!r}"))
    for plugin in plugins:
        pattern = _patterns(plugin)
        for first, text in _text_tokens(source):
            for match in pattern.finditer(text):
                line = first + text[:match.start()].count("\n")
                snippet = text[max(0, match.start() - 20):match.end() + 20].replace("\n", " ")
                found.add((line, f"mentions plugin {plugin!r}: …{snippet.strip()}…"))
    return sorted(found)


def test_the_shipped_plugins_are_found():
    assert {"sales", "competitors"} <= set(SHIPPED)


def test_the_core_names_no_shipped_plugin():
    offenders = [f"{path}:{line}: {what}" for path, source in _modules(CORE)
                 for line, what in plugin_mentions(source, SHIPPED)]
    assert not offenders, _report(
        "the core must not name a shipped plugin; give a third-party example instead "
        "(acme_dental.appointment, acme_dental.*, {\"acme_crm\": \">=1,<2\"})", offenders)


def test_the_frozen_migrations_are_skipped_and_nothing_else():
    scanned = {path for path, _ in _modules(CORE)}
    frozen = {_rel(p) for p in (CORE / "migrations").glob("*.py")} - scanned
    assert sorted(p.split("/")[-1][:4] for p in frozen) == ["0001", "0002", "0005"]
    assert len(scanned) > 20, "the core's modules were not found"


def test_the_check_tells_plugin_names_from_roles_and_words():
    source = (
        '"""Record types such as ``sales.opportunity`` or ``sales.*``.\n'
        '\n'
        'Requires ``{"sales": ">=1,<2"}``; lives under /api/v1/sales/opportunities."""\n'
        "import accord_sales.hooks\n"
        "from accord_competitors import rules\n"
        "ROLES = {'sales': 'Customers and the sales pipeline',\n"
        "         'service': 'Customers and after-sales service'}\n"
        "USERS = [{'name': 'Maria', 'role': 'sales'}]\n"
        "add_user(role='sales')\n"
        "kernel.plugin('competitors')  # the competitors plugin\n"
        "TEMPLATE = '''\n"
        "# [plugins.settings.sales]\n"
        "'''\n"
        "HELP = 'admin, manager, sales, service: a salesperson, a Sales manager'\n"
        "TABLE = 'sales_opportunity'\n"
        "LABEL = '``sales quote line``'\n"
    )
    assert sorted({line for line, _ in plugin_mentions(source, ["sales", "competitors"])}) == [
        1, 3, 4, 5, 10, 12, 15, 16]


# The kernel and the services ------------------------------------------------------

#: Modules the kernel imports at start, which must not reach into the service layer
#: (the services build on the kernel, never the other way round).
KERNEL_SIDE = ("kernel.py", "rolegrants.py", "customfields.py", "migrating.py",
               "database.py", "config.py", "plugins/manager.py", "plugins/discovery.py")


def _service_imports(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            module = ("." * node.level) + (node.module or "")
            if "services" in module.split("."):
                lines.append(node.lineno)
        elif isinstance(node, ast.Import):
            if any("services" in alias.name.split(".") for alias in node.names):
                lines.append(node.lineno)
    return lines


def test_the_check_sees_service_imports():
    assert _service_imports("from .services.roles import ADMIN\n") == [1]
    assert _service_imports("def f():\n    from ..services import get\n") == [2]
    assert _service_imports("from .records import RecordType\n") == []


def test_the_kernel_imports_no_service_module():
    found = [f"core/{name}:{line}" for name in KERNEL_SIDE
             for line in _service_imports((CORE / name).read_text(encoding="utf-8"))]
    assert found == [], "the kernel side imports the service layer:\n" + "\n".join(found)
