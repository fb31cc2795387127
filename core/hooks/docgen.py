"""Render the hook reference (``docs/reference/hooks.md``) from the hookspec docstrings.

``python -m accord.hooks.docgen`` prints it; ``--write`` writes it; ``--check`` exits 1
when the written file is out of date. Hooks are listed in ``SPEC_MODULES`` order, each
with its exact signature, the flags read from its spec options and its docstring
sections (the layout STYLE.md prescribes and ``tests/docs`` checks).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import inspect
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from . import PROJECT, SPEC_MODULES

__all__ = ["HookDoc", "SECTIONS", "REQUIRED", "collect", "parse_docstring", "problems",
           "render", "main"]

#: Docstring sections, in the order they must appear.
SECTIONS = ("Called", "Args", "Returns", "Order", "Since", "Changed", "Deprecated")
#: Sections every hookspec must have.
REQUIRED = ("Called", "Returns", "Order", "Since")
COMMAND = "python -m accord.hooks.docgen --write"
_SECTION = re.compile(rf"^({'|'.join(SECTIONS)}):\s*(.*)$")
_CHECKOUT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class HookDoc:
    """One hookspec as the reference shows it."""

    name: str
    module: str
    signature: str
    flags: tuple[str, ...]
    summary: str
    #: (section, text) pairs in docstring order; text outside any section is ("", text).
    sections: tuple[tuple[str, str], ...]
    core_impl: bool


def parse_docstring(doc: str | None) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The one-line summary and the sections of a hookspec docstring."""
    lines = inspect.cleandoc(doc or "").splitlines()
    summary = lines[0].strip() if lines else ""
    sections: list[tuple[str, list[str]]] = []
    for line in lines[1:]:
        match = _SECTION.match(line)
        if match:
            sections.append((match.group(1), [match.group(2)]))
        elif line.strip() and sections and line.startswith((" ", "\t")):
            sections[-1][1].append(line.strip())
        elif line.strip():
            sections.append(("", [line.strip()]))
    return summary, tuple((name, " ".join(t for t in text if t)) for name, text in sections)


def problems(hook: HookDoc) -> list[str]:
    """What is wrong with a hookspec's docstring; [] when it follows the layout."""
    found: list[str] = []
    if not hook.summary or not hook.summary.endswith("."):
        found.append("no one-line summary ending with a period")
    names = [name for name, _ in hook.sections]
    if "" in names:
        found.append("text outside a section (indent continuation lines)")
    for name in REQUIRED:
        if name not in names:
            found.append(f"no {name}: section")
    known = [n for n in names if n]
    if known != sorted(known, key=SECTIONS.index) or len(set(known)) != len(known):
        found.append(f"sections out of order or repeated: {', '.join(known)} "
                     f"(expected order: {', '.join(SECTIONS)})")
    for name, text in hook.sections:
        if name and not text:
            found.append(f"empty {name}: section")
    return found


def _annotation(value: Any) -> str:
    return value if isinstance(value, str) else inspect.formatannotation(value)


def signature(func: Callable[..., Any]) -> str:
    """``name(arg: Type, ...) -> Return`` exactly as declared in the spec."""
    sig = inspect.signature(func)
    params = ", ".join(
        p.name if p.annotation is p.empty else f"{p.name}: {_annotation(p.annotation)}"
        for p in sig.parameters.values())
    text = f"{func.__name__}({params})"
    if sig.return_annotation is not sig.empty:
        text += f" -> {_annotation(sig.return_annotation)}"
    return text


def _flags(options: dict[str, Any]) -> tuple[str, ...]:
    flags = [name for name in ("firstresult", "historic") if options.get(name)]
    if options.get("warn_on_impl"):
        flags.append("deprecated")
    if options.get("warn_on_impl_args"):
        flags.append("deprecated arguments: " + ", ".join(sorted(options["warn_on_impl_args"])))
    return tuple(flags)


def _specs(module: ModuleType) -> list[Callable[..., Any]]:
    found = [f for f in vars(module).values() if inspect.isfunction(f)
             and f.__module__ == module.__name__ and hasattr(f, f"{PROJECT}_spec")]
    return sorted(found, key=lambda f: f.__code__.co_firstlineno)


def _shipped_plugin_specs() -> list[tuple[str, str]]:
    """(title, module) of the hookspec modules of the plugins shipped with Accord (those
    the ``accord-crm`` distribution registers), by plugin name."""
    from ..plugins.discovery import ENTRY_POINT_GROUP

    out = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.dist is None or ep.dist.name != "accord-crm":
            continue
        package = ep.value.split(":", 1)[0].rsplit(".", 1)[0]
        specs = getattr(importlib.import_module(package).MANIFEST, "hookspecs", None)
        if specs:
            out.append((f"Plugin {ep.name}", specs))
    return sorted(out)


def collect() -> list[tuple[str, ModuleType, list[HookDoc]]]:
    """Every hookspec of the core, grouped by spec module in ``SPEC_MODULES`` order, then
    those the shipped plugins declare for other plugins."""
    from .. import builtin  # the core's own impls: the example every hook can point to

    out = []
    modules = [(name.rsplit(".", 1)[-1].capitalize(), name) for name in SPEC_MODULES]
    for title, module_name in modules + _shipped_plugin_specs():
        module = importlib.import_module(module_name)
        hooks = []
        for func in _specs(module):
            summary, sections = parse_docstring(func.__doc__)
            impl = getattr(builtin, func.__name__, None)
            hooks.append(HookDoc(
                func.__name__, module_name, signature(func),
                _flags(getattr(func, f"{PROJECT}_spec")), summary, sections,
                core_impl=hasattr(impl, f"{PROJECT}_impl")))
        out.append((title, module, hooks))
    return out


_FLAG_TEXT = {
    "firstresult": "stops at the first non-None result",
    "historic": "a plugin registered later is called when it registers",
    "deprecated": "implementing it warns",
}


def _render_hook(hook: HookDoc) -> list[str]:
    lines = [f"### `{hook.name}`", "", "```python", hook.signature, "```", "", hook.summary, ""]
    if hook.flags:
        shown = [f"`{f}` ({_FLAG_TEXT[f]})" if f in _FLAG_TEXT else f"`{f}`" for f in hook.flags]
        lines += [f"**Flags:** {'; '.join(shown)}", ""]
    lines += [f"- **{name or 'Note'}:** {text}" for name, text in hook.sections]
    if hook.core_impl:
        lines.append(f"- **Example:** the core's own implementation, `{hook.name}` in "
                     "`core/builtin.py` (`accord.builtin`).")
    return [*lines, ""]


def render() -> str:
    """The whole reference as Markdown."""
    groups = collect()
    lines = [
        "# Hook reference", "",
        f"<!-- Generated from the hookspec docstrings in core/hooks/ by `{COMMAND}`;"
        " do not edit by hand. -->", "",
        "A plugin implements hooks in its `hooks.py` with `from accord.hooks import hookimpl`.",
        "The core calls every hook with keyword arguments, so an implementation declares",
        "only the arguments it uses, without defaults (pluggy would not pass an argument",
        "that has one). A misspelled hook or an argument the spec lacks is a load error",
        "naming the plugin and the hook. Implementations run last-registered first unless",
        "`tryfirst`/`trylast` says otherwise; the core registers its own implementations",
        "(`accord.builtin`) as the plugin `core`, through these same hooks.", "",
        "The plugins shipped with Accord declare hooks of their own for other plugins",
        "(listed last, under each plugin's name): a plugin implementing them declares",
        "the shipped plugin in its manifest's `requires`.", "",
    ]
    for title, module, hooks in groups:
        lines.append(f"- [{title}](#{title.lower().replace(' ', '-')}): "
                     + ", ".join(f"[`{h.name}`](#{h.name})" for h in hooks))
    lines.append("")
    for title, module, hooks in groups:
        intro = inspect.cleandoc(module.__doc__ or "").split("\n\n", 1)[0].replace("\n", " ")
        lines += [f"## {title}", "", f"`{module.__name__}`: {intro}", ""]
        for hook in hooks:
            lines += _render_hook(hook)
    return "\n".join(lines).rstrip("\n") + "\n"


def default_output() -> Path:
    """``docs/reference/hooks.md`` of the source checkout, else of the working folder."""
    root = _CHECKOUT if (_CHECKOUT / "pyproject.toml").exists() else Path.cwd()
    return root / "docs" / "reference" / "hooks.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m accord.hooks.docgen",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="write the reference file")
    action.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument("--output", type=Path, default=None, help="reference file path")
    args = parser.parse_args(argv)
    output: Path = args.output or default_output()
    text = render()
    if args.write:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {output}\n")
    elif args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            sys.stderr.write(f"{output} is out of date; run {COMMAND}\n")
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
