"""The checks of the conformance kit (``accord plugin check``), one function each.

Each check returns ``Finding`` values: a failure says what to fix, naming the plugin's
file or hook; a warning is what the kit could not prove (not a failure). The checks
that need a database run on a started kernel (``Subject``) that loaded the plugin; the
runner (``accord_sdk.conformance``) orders them and prints them.
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
import importlib.util
import inspect
import sys
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.plugins.manager import Plugin

__all__ = ["Finding", "Subject", "check_manifest_versions", "check_hooks", "check_imports",
           "check_permissions", "check_settings", "plugin_files", "plugin_tables",
           "seed_records", "PRIVATE_HINTS"]

#: What to import instead of a private module plugins often reach for.
PRIVATE_HINTS = {
    "accord.models.base": "accord.models",
    "accord.pages.format": "accord.pages",
    "accord.pages.entries": "accord.pages",
    "accord.plugins.manifest": "accord.plugins",
    "accord.cli": "a command of your own (register_commands) calling accord.services",
    "accord.api": "accord.routes (register_api_routes) and accord.services",
}


@dataclass(frozen=True)
class Finding:
    """``status`` is ``failed`` or ``warning``; ``message`` says what to fix."""

    status: str
    message: str


def failed(message: str) -> Finding:
    return Finding("failed", message)


def warning(message: str) -> Finding:
    return Finding("warning", message)


@dataclass
class Subject:
    """The plugin under check, on one started kernel."""

    kernel: Accord
    name: str
    files: list[Path] = field(default_factory=list)
    root: Path | None = None
    #: The plugin's hooks module (None when it cannot be imported).
    module: Any = None

    @property
    def plugin(self) -> Plugin:
        return self.kernel.plugins.get(self.name)

    def rel(self, path: str | Path | None) -> str:
        """A file as the messages name it: relative to the package's parent folder."""
        if not path:
            return "hooks"
        path = Path(path)
        if self.root is not None:
            try:
                return str(path.resolve().relative_to(self.root.parent.resolve()))
            except ValueError:
                pass
        return path.name


# Files -------------------------------------------------------------------------------

def plugin_files(module: Any) -> tuple[Path | None, list[Path]]:
    """The package folder (None for a one-file plugin) and the Python files of the
    plugin whose hooks module is ``module``."""
    top_name = module.__name__.split(".")[0]
    top = sys.modules.get(top_name, module)
    origin = getattr(top, "__file__", None)
    if origin is None:
        return None, []
    path = Path(origin)
    if path.name == "__init__.py":
        folder = path.parent
        files = sorted(p for p in folder.rglob("*.py")
                       if "__pycache__" not in p.parts and "tests" not in
                       p.relative_to(folder).parts)
        return folder, files
    return path.parent / path.stem, [path]


# Manifest ----------------------------------------------------------------------------

def check_manifest_versions(plugin: Plugin, core_api_version: str) -> list[Finding]:
    """Beyond core's ``check_manifest`` (which loading ran): a PEP 440 version, a
    description, a core_api range that holds the running core API."""
    from accord.plugins.manifest import check_manifest

    manifest = plugin.manifest
    if manifest is None:
        return [failed(f"{plugin.name}: {plugin.error or 'no MANIFEST'}; give the package's "
                       "__init__.py a MANIFEST = PluginManifest(name=..., version=...)")]
    out = [failed(f"__init__.py: MANIFEST {problem}") for problem in
           check_manifest(manifest, plugin.name)]
    if not manifest.description.strip():
        out.append(failed("__init__.py: MANIFEST has no description; say in one line what "
                          "the plugin adds"))
    try:
        if not SpecifierSet(manifest.core_api).contains(Version(core_api_version)):
            out.append(failed(f"__init__.py: MANIFEST core_api {manifest.core_api!r} does not "
                              f"hold this core's API {core_api_version}; target it "
                              "(core_api='>=1,<2')"))
    except InvalidSpecifier:
        pass  # check_manifest said so
    return out


# Hooks -------------------------------------------------------------------------------

def _impls(module: Any) -> Iterator[tuple[str, Any, Path | None, int]]:
    """(hook name, function, file, line) of each hook implementation in ``module``."""
    from accord.hooks import PROJECT

    marker = f"{PROJECT}_impl"
    for attr in dir(module):
        obj: Any = getattr(module, attr, None)
        opts = getattr(obj, marker, None)
        if not isinstance(opts, dict):
            continue
        function = inspect.unwrap(obj) if callable(obj) else obj
        try:
            file = Path(inspect.getsourcefile(function) or "")
            line = inspect.getsourcelines(function)[1]
        except (OSError, TypeError):
            file, line = None, 0
        yield opts.get("specname") or attr, obj, file, line


def check_hooks(subject: Subject, module: Any) -> list[Finding]:
    """Every hook implementation names a hook specification (the core's or a required
    plugin's) and takes only arguments that specification gives; then whatever else
    loading refused (core's load checks)."""
    from accord.hooks import PROJECT

    pm = subject.kernel.plugins.pm
    specs = subject.kernel.plugins.hook_names()
    out: list[Finding] = []
    for hook, function, file, line in _impls(module):
        where = f"{subject.rel(file)}:{line}" if line else subject.rel(file)
        opts = getattr(function, f"{PROJECT}_impl")
        caller = getattr(pm.hook, hook, None)
        if caller is None or not caller.has_spec():
            if opts.get("optionalhook"):
                continue
            close = difflib.get_close_matches(hook, specs, n=1)
            hint = f"did you mean {close[0]!r}?" if close else \
                "see docs/hooks.md for the hooks there are"
            out.append(failed(f"{where}: hook {hook!r} is not a hookspec ({hint})"))
            continue
        spec_args = list(caller.spec.argnames)
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            continue
        extra = [p for p in params if p not in spec_args]
        if extra:
            out.append(failed(
                f"{where}: hook {hook!r} takes {', '.join(map(repr, extra))}, which its "
                f"hookspec does not give; its arguments are {', '.join(spec_args) or 'none'}"))
    plugin = subject.plugin
    if plugin.error and not out and not _is_permission_error(plugin) \
            and not _is_migration_error(plugin):
        out.append(failed(f"{_hook_file(subject, plugin.failed_hook)}: {plugin.error}"))
    return out


def _is_permission_error(plugin: Plugin) -> bool:
    return plugin.failed_hook in ("register_actions", "register_api_routes")


def _is_migration_error(plugin: Plugin) -> bool:
    return bool(plugin.error and plugin.error.startswith("migration "))


def _hook_file(subject: Subject, hook: str | None) -> str:
    module = subject.module if subject.module is not None else subject.plugin.module
    for name, _, file, _ in _impls(module) if module is not None else ():
        if name == hook:
            return f"{subject.rel(file)}: hook {hook}"
    return subject.name


def migration_load_error(subject: Subject) -> list[Finding]:
    """A migration core refused at load (no down(), no up(), cannot import)."""
    plugin = subject.plugin
    if not _is_migration_error(plugin):
        return []
    assert plugin.error is not None
    filename = plugin.error.split(" ", 2)[1]
    folder = plugin.migrations_folder
    where = subject.rel(folder / filename) if folder else filename
    detail = plugin.error.split(" ", 2)[2]
    if "has no down()" in detail:
        return [failed(f"{where} has no down(): add down(migrator, database) undoing what "
                       "up() does, so the plugin can be downgraded and purged")]
    return [failed(f"{where}: {detail}")]


# Permissions -------------------------------------------------------------------------

def _reachable(kernel: Accord, permission: str) -> list[str]:
    """The built-in roles other than admin that hold ``permission`` through their
    grants (stored and contributed)."""
    from accord.models import ADMIN_ROLE, BUILTIN_ROLES
    from accord.services import Actor
    from accord.services.roles import list_roles

    roles = list_roles(kernel, actor=Actor.system("accord plugin check"))
    return [role.name for role in roles
            if role.name in BUILTIN_ROLES and role.name != ADMIN_ROLE
            and any(fnmatchcase(permission, pattern) for pattern in role.grants)]


def check_permissions(subject: Subject) -> list[Finding]:
    """Every action, API route, navigation entry and record type of the plugin needs a
    declared permission that some built-in role (besides admin) holds."""
    plugin = subject.plugin
    if _is_permission_error(plugin):
        return [failed(f"{_hook_file(subject, plugin.failed_hook)}: {plugin.error}")]
    kernel = subject.kernel
    from accord.services import Actor
    from accord.services.authz import permission_for

    name = subject.name
    needs: list[tuple[str, str, str]] = []
    for record_type in _own(kernel, name, "register_record_types"):
        needs.append(("register_record_types", f"record type {record_type.name}",
                      permission_for(record_type, "read")))
    for action in _own(kernel, name, "register_actions"):
        needs.append(("register_actions", f"action {action.record_type}/{action.name}",
                      action.permission))
    for route in _own(kernel, name, "register_api_routes"):
        needs.append(("register_api_routes", f"API route {route.method} {route.path}",
                      route.permission))
    if name in kernel.plugins.implementations("navigation_entries"):
        for entries in kernel.plugins.call_one(name, "navigation_entries", kernel=kernel,
                                               actor=Actor.system("accord plugin check")):
            for entry in entries or ():
                if entry.permission is not None:
                    needs.append(("navigation_entries",
                                  f"page {entry.url} (navigation entry {entry.label!r})",
                                  entry.permission))
    out: list[Finding] = []
    seen: dict[str, bool] = {}
    for hook, what, permission in needs:
        where = _hook_file(subject, hook)
        if permission not in kernel.permissions:
            out.append(failed(f"{where}: {what} needs permission {permission}, which nobody "
                              "declares; declare it in register_permissions"))
            continue
        if kernel.permissions[permission][0] != name:
            continue  # the core's or a required plugin's: their roles are their design
        if permission not in seen:
            seen[permission] = bool(_reachable(kernel, permission))
        if not seen[permission]:
            out.append(failed(
                f"{where}: {what} needs permission {permission}, which no built-in role but "
                f"admin holds; give it to one in register_role_grants "
                f"(RoleGrant(\"manager\", (\"{permission}\",)))"))
    return out


def _own(kernel: Accord, name: str, hook: str) -> list[Any]:
    return [item for _, item in kernel.plugins.collect(hook, only=[name])]


def plugin_tables(kernel: Accord, name: str) -> list[Any]:
    """The plugin's models: its record types' and those of ``register_models``."""
    models = [t.model for t in _own(kernel, name, "register_record_types")]
    models += _own(kernel, name, "register_models")
    return list(dict.fromkeys(models))


# Settings ----------------------------------------------------------------------------

def check_settings(subject: Subject) -> list[Finding]:
    """The plugin starts with no settings given, and refuses an unknown one."""
    from accord.errors import ConfigError

    kernel, name = subject.kernel, subject.name
    schema = subject.plugin.manifest.settings_schema if subject.plugin.manifest else None
    label = schema.__name__ if schema is not None else "the plugin"
    try:
        kernel.load_settings(name, {})
    except ConfigError as exc:
        return [failed(f"settings: {label} refuses empty settings ({exc}); give every "
                       "setting a default (load_default=...)")]
    try:
        kernel.load_settings(name, {"kit_unknown_setting": 1})
    except ConfigError:
        return []
    return [failed(f"settings: {label} accepts the unknown setting 'kit_unknown_setting'; "
                   "leave its Meta.unknown alone so that a misspelt setting is refused")]


# Imports -----------------------------------------------------------------------------

def _module_of(path: Path, root: Path | None, package: str) -> str:
    if root is None:
        return path.stem
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def _imports(path: Path, module: str) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module, names) of each import in a file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = ".".join(parts[:keep] + ([base] if base else []))
            yield node.lineno, base, [a.name for a in node.names]


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _declared_modules(kernel: Accord, other: str) -> tuple[str, set[str]]:
    """Another plugin's package and the modules it declares for others: the package,
    its hookspecs module and what that imports, its services (and their modules)."""
    plugin = kernel.plugins.plugins.get(other)
    module = plugin.module if plugin is not None else None
    package = module.__name__.split(".")[0] if module is not None else f"accord_{other}"
    declared = {package, f"{package}.services"}
    hookspecs = plugin.manifest.hookspecs if plugin and plugin.manifest else None
    if hookspecs:
        declared.add(hookspecs)
        spec = importlib.util.find_spec(hookspecs)
        if spec is not None and spec.origin:
            for _, imported, names in _imports(Path(spec.origin), hookspecs):
                # The types its hooks take (never its models: data is read through
                # record types, customer facts and metrics).
                for name in [imported, *(f"{imported}.{n}" for n in names)]:
                    if name.startswith(package + ".") and name != f"{package}.models" \
                            and _is_module(name):
                        declared.add(name)
    return package, declared


def check_imports(subject: Subject, package: str) -> list[Finding]:
    """The plugin's modules import only the public API (``accord.public``) and, of the
    plugins it requires, only what they declare for others."""
    from accord.public import PUBLIC_MODULES, is_public

    kernel = subject.kernel
    requires = subject.plugin.requires
    others: dict[str, tuple[str, set[str]]] = {}
    for name, plugin in kernel.plugins.plugins.items():
        if name != subject.name and plugin.module is not None:
            others[plugin.module.__name__.split(".")[0]] = (name, set())
    for name in requires:
        pkg, declared = _declared_modules(kernel, name)
        others[pkg] = (name, declared)
    out: list[Finding] = []
    for path in subject.files:
        module = _module_of(path, subject.root, package)
        for line, imported, names in _imports(path, module):
            targets = [imported]
            if imported in ("accord", *PUBLIC_MODULES) or imported in others:
                # ``from accord import services``: the modules imported by name.
                targets = [f"{imported}.{n}" for n in names
                           if n != "*" and _is_module(f"{imported}.{n}")] or targets
            if imported.split(".")[0] in ("accord", "accord_sdk"):
                for hidden in [n for n in names if n.startswith("_") and n != "__version__"]:
                    out.append(failed(f"{subject.rel(path)}:{line} imports {hidden} from "
                                      f"{imported}, which is private (its name starts with "
                                      "'_'): use a public name"))
            for target in targets:
                problem = _import_problem(target, requires, others, is_public)
                if problem:
                    out.append(failed(f"{subject.rel(path)}:{line} imports {target}, {problem}"))
    return out


def _import_problem(target: str, requires: Any, others: dict[str, tuple[str, set[str]]],
                    is_public: Any) -> str | None:
    top = target.split(".")[0]
    if top in ("accord", "accord_sdk"):
        if is_public(target):
            return None
        hint = next((use for private, use in PRIVATE_HINTS.items()
                     if target == private or target.startswith(private + ".")), None)
        if hint is None:
            parent = target.rsplit(".", 1)[0]
            hint = parent if is_public(parent) else "the public modules (accord.public)"
        return f"which is private: use {hint}"
    if top in others:
        owner, declared = others[top]
        if owner not in requires:
            return (f"a module of the {owner} plugin, which the plugin does not require: "
                    f"add {owner!r} to MANIFEST.requires or read its data through record "
                    "types, customer facts and metrics")
        if target not in declared and not target.startswith(f"{top}.services."):
            shown = ", ".join(sorted(declared))
            return (f"which {owner} does not declare for other plugins: use {shown}")
    return None


def check_deprecations(subject: Subject, package: str) -> list[Finding]:
    """What the plugin uses that Accord deprecated (warnings: it works until the version
    named) or no longer has (failures): hooks it implements, names it imports from the
    public modules."""
    from accord.compat import deprecation_of, hook_deprecations
    from accord.public import is_public

    out = [warning(f"{message} (see docs/compatibility.md)")
           for message in hook_deprecations(subject.kernel.plugins.pm, subject.name)]
    for path in subject.files:
        module = _module_of(path, subject.root, package)
        for line, imported, names in _imports(path, module):
            if imported.split(".")[0] not in ("accord", "accord_sdk") \
                    or not is_public(imported):
                continue
            try:
                source = importlib.import_module(imported)
            except ImportError:
                out.append(failed(f"{subject.rel(path)}:{line} imports {imported}, which "
                                  "this Accord does not have"))
                continue
            for name in names:
                if name == "*" or _is_module(f"{imported}.{name}"):
                    continue
                try:
                    found = getattr(source, name)
                except AttributeError:
                    out.append(failed(f"{subject.rel(path)}:{line} imports {name} from "
                                      f"{imported}, which this Accord does not have (removed "
                                      "after its deprecation? see docs/compatibility.md)"))
                    continue
                info = deprecation_of(found)
                if info is not None:
                    out.append(warning(f"{subject.rel(path)}:{line} imports {imported}.{name}"
                                       f", {info.terms()}"))
    return out


# Records -----------------------------------------------------------------------------

def _value_for(name: str, fld: Any, refs: dict[str, int]) -> Any:
    """A valid value of a required schema field (its ``metadata["example"]`` when the
    schema gives one, as the OpenAPI document shows it), or raise LookupError."""
    from marshmallow import fields, validate

    from accord.money import MoneyField

    if "example" in (getattr(fld, "metadata", None) or {}):
        return fld.metadata["example"]

    for validator in getattr(fld, "validators", []):
        if isinstance(validator, validate.OneOf):
            return list(validator.choices)[0]
    if name in refs:
        return refs[name]
    if isinstance(fld, MoneyField):
        return {"amount": "10.00", "currency": "EUR"}
    if isinstance(fld, fields.Email):
        return "kit@example.com"
    if isinstance(fld, fields.Url):
        return "https://example.com"
    if isinstance(fld, fields.Boolean):
        return True
    later = any(word in name for word in ("end", "until", "due", "expir"))
    if isinstance(fld, fields.DateTime):
        moment = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        return (moment + dt.timedelta(days=30 if later else 0)).isoformat()
    if isinstance(fld, fields.Date):
        return (dt.date.today() + dt.timedelta(days=30 if later else 0)).isoformat()
    if isinstance(fld, (fields.Integer, fields.Decimal, fields.Float, fields.Number)):
        if name.endswith("_id"):
            raise LookupError(f"{name} names a record of a type the kit made none of")
        return 1
    if isinstance(fld, fields.List):
        return []
    if isinstance(fld, fields.String):
        return f"Kit {name.replace('_', ' ')}"
    raise LookupError(f"no value for {name} ({type(fld).__name__})")


def _references(kernel: Accord, record_type: Any, made: dict[str, int]) -> dict[str, int]:
    """Schema keys of foreign keys -> the id of a record made of the target type."""
    import peewee

    by_model = {kernel.records.get(n).model: n for n in made if n in kernel.records}
    # A plain column named after a type (``opportunity_id``), then real foreign keys.
    out: dict[str, int] = {f"{n.rsplit('.', 1)[-1]}_id": i for n, i in made.items()}
    for fld in record_type.model._meta.sorted_fields:
        if isinstance(fld, peewee.ForeignKeyField):
            target = by_model.get(fld.rel_model)
            if target is not None:
                out[fld.column_name] = made[target]
                out[fld.name] = made[target]
    return out


def seed_records(kernel: Accord, name: str, actor: Any) -> tuple[dict[str, int], list[Finding]]:
    """One record of each of the plugin's record types, made through the services from
    its schema's required fields (best effort: a type the kit cannot make is a
    warning). Core records (a contact, an organization) are made first for references."""
    from accord import services
    from accord.errors import AccordError

    made: dict[str, int] = {}
    for core_type, core_data in (("organization", {"name": "Kit Ltd"}),
                            ("contact", {"last_name": "Kit", "first_name": "Conformance"}),
                            ("product", {"sku": "KIT-1", "name": "Kit product"})):
        made[core_type] = services.create(kernel, core_type, dict(core_data), actor=actor).id
    own = [t for t in _own(kernel, name, "register_record_types") if not t.written_by]
    # Records of the plugins it requires, for its references to them (not reported).
    plugin = kernel.plugins.get(name)
    own += [t for required in plugin.requires
            for t in _own(kernel, required, "register_record_types") if not t.written_by]
    problems: dict[str, str] = {}
    progress = True
    while progress:
        progress = False
        for record_type in own:
            if record_type.name in made:
                continue
            schema = record_type.schema
            refs = _references(kernel, record_type, made)
            try:
                data = {key: _value_for(key, fld, refs)
                        for key, fld in schema._declared_fields.items()
                        if fld.required and not fld.dump_only}
                for key in refs:
                    if key in schema._declared_fields and key not in data \
                            and key not in record_type.verb_field_map \
                            and not schema._declared_fields[key].dump_only:
                        data[key] = refs[key]
                made[record_type.name] = _create(kernel, record_type.name, data, actor)
                progress = True
                problems.pop(record_type.name, None)
            except (LookupError, AccordError) as exc:
                problems[record_type.name] = str(exc)
    out = [warning(f"could not make a {type_name} record from its schema's required fields "
                   f"({why}); the round trip does not cover it")
           for type_name, why in sorted(problems.items()) if type_name.startswith(f"{name}.")]
    out += [warning(f"{t.name} is written by {', '.join(t.written_by)} only; the round trip "
                    "does not cover it") for t in _own(kernel, name, "register_record_types")
            if t.written_by]
    return {k: v for k, v in made.items() if k.startswith(f"{name}.")}, out


def _create(kernel: Accord, type_name: str, data: dict[str, Any], actor: Any) -> int:
    """Create through the services; a field refused with "use one of A, B" is given A
    and the write tried again (a choice read from settings, not the schema)."""
    import re

    from accord import services
    from accord.errors import ValidationError

    for _ in range(4):
        try:
            return int(services.create(kernel, type_name, data, actor=actor).id)
        except ValidationError as exc:
            choices = {key: re.search(r"use one of ([A-Za-z0-9_-]+)", " ".join(problems))
                       for key, problems in exc.messages.items() if key in data}
            fixes = {key: match[1] for key, match in choices.items()
                     if match and data[key] != match[1]}
            if not fixes:
                raise
            data = {**data, **fixes}
    raise LookupError(f"no valid {type_name} found from its schema's required fields")
