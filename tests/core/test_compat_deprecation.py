"""Deprecations warn naming the plugin that uses a deprecated function or hook.

Two real local plugins: acme_legacy_api declares, for other plugins, a hookspec and a
service function that it deprecates (nothing in the core is deprecated today), and
acme_legacy_user, which requires it, implements the old hook and calls the old function.
"""

from __future__ import annotations

import logging
import textwrap
import warnings
from pathlib import Path

import pytest

from accord.compat import (AccordDeprecationWarning, deprecated, deprecated_hook,
                           deprecation_of, hook_deprecations)

API_INIT = '''
from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="acme_legacy_api", version="1.3.0",
                          hookspecs="acme_legacy_api.hookspecs")
'''
API_HOOKSPECS = '''
from accord.compat import deprecated_hook
from accord.hooks import hookspec


@hookspec
@deprecated_hook(since="1.2", removed_in="1.3", use="acme_price_rules")
def acme_discounts(kernel):
    """Return discount rules (deprecated: implement acme_price_rules)."""


@hookspec
def acme_price_rules(kernel):
    """Return price rules."""
'''
API_HOOKS = '''
from accord.hooks import hookimpl


@hookimpl
def acme_price_rules(kernel):
    return ["list price"]
'''
API_SERVICES = '''
from accord.compat import deprecated


def new_total(amount):
    return amount * 2


@deprecated(since="1.2", removed_in="1.3", use="acme_legacy_api.services.new_total")
def old_total(amount):
    return new_total(amount)
'''
USER_INIT = '''
from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="acme_legacy_user", version="0.1.0",
                          requires={"acme_legacy_api": ">=1,<2"})
'''
USER_HOOKS = '''
from accord.hooks import hookimpl

from acme_legacy_api.services import old_total


@hookimpl
def acme_discounts(kernel):
    return ["10% off"]


def invoice_total(amount):
    return old_total(amount)
'''


@pytest.fixture
def legacy_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "plugins"
    files = {"acme_legacy_api/__init__.py": API_INIT,
             "acme_legacy_api/hookspecs.py": API_HOOKSPECS,
             "acme_legacy_api/hooks.py": API_HOOKS,
             "acme_legacy_api/services.py": API_SERVICES,
             "acme_legacy_user/__init__.py": USER_INIT,
             "acme_legacy_user/hooks.py": USER_HOOKS}
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


HOOK_MESSAGE = ("plugin 'acme_legacy_user' implements hook acme_discounts, deprecated since "
                "1.2 and removed in 1.3: use acme_price_rules")
CALL_MESSAGE = ("plugin 'acme_legacy_user' calls acme_legacy_api.services.old_total, "
                "deprecated since 1.2 and removed in 1.3: use acme_legacy_api.services.new_total")


def test_implementing_a_deprecated_hook_warns_and_logs_naming_the_plugin(
        make_kernel, legacy_folder, caplog):
    caplog.set_level(logging.WARNING, logger="accord.compat")
    with pytest.warns(AccordDeprecationWarning) as record:
        kernel = make_kernel(plugins_dir=legacy_folder, enable=["acme_legacy_user"])
    hook_warnings = [w for w in record if issubclass(w.category, AccordDeprecationWarning)]
    assert [str(w.message) for w in hook_warnings] == [HOOK_MESSAGE]
    # Reported at the plugin's implementation, not inside the core.
    assert hook_warnings[0].filename == str(legacy_folder / "acme_legacy_user" / "hooks.py")
    assert hook_warnings[0].lineno == 6
    assert [r.getMessage() for r in caplog.records if r.name == "accord.compat"] == [HOOK_MESSAGE]
    assert hook_deprecations(kernel.plugins.pm, "acme_legacy_user") == [HOOK_MESSAGE]
    assert hook_deprecations(kernel.plugins.pm, "acme_legacy_api") == []
    # The deprecated hook keeps working until it is removed.
    assert kernel.plugins.call_one("acme_legacy_user", "acme_discounts",
                                   kernel=kernel) == [["10% off"]]
    assert kernel.plugins.get("acme_legacy_user").state == "enabled"


def test_calling_a_deprecated_function_warns_naming_the_calling_plugin(
        make_kernel, legacy_folder, caplog):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccordDeprecationWarning)
        kernel = make_kernel(plugins_dir=legacy_folder, enable=["acme_legacy_user"])
    module = kernel.plugins.get("acme_legacy_user").module
    caplog.set_level(logging.WARNING, logger="accord.compat")
    caplog.clear()  # the load's own line about the deprecated hook
    with pytest.warns(AccordDeprecationWarning) as record:
        assert module.invoice_total(21) == 42
        assert module.invoice_total(5) == 10
    assert [str(w.message) for w in record] == [CALL_MESSAGE, CALL_MESSAGE]
    assert {(w.filename, w.lineno) for w in record} == {
        (str(legacy_folder / "acme_legacy_user" / "hooks.py"), 12)}
    # Logged once per plugin and function, however often it is called.
    assert [r.getMessage() for r in caplog.records if r.name == "accord.compat"] == [CALL_MESSAGE]


def test_a_deprecation_turned_into_an_error_stops_the_plugin_call(make_kernel, legacy_folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccordDeprecationWarning)
        kernel = make_kernel(plugins_dir=legacy_folder, enable=["acme_legacy_user"])
    module = kernel.plugins.get("acme_legacy_user").module
    with warnings.catch_warnings():
        warnings.simplefilter("error", AccordDeprecationWarning)
        with pytest.raises(AccordDeprecationWarning) as raised:
            module.invoice_total(1)
    assert str(raised.value) == CALL_MESSAGE
    assert isinstance(raised.value, DeprecationWarning)


@deprecated(since="1.2", removed_in="1.3", use="accord.services.new_thing")
def old_thing(value: int) -> int:
    """Doubles."""
    return value * 2


def test_a_call_from_outside_any_plugin_warns_without_a_plugin_name():
    with pytest.warns(AccordDeprecationWarning) as record:
        assert old_thing(4) == 8
    name = f"{__name__}.old_thing"
    assert [str(w.message) for w in record] == [
        f"{name} is deprecated since 1.2 and removed in 1.3: use accord.services.new_thing"]
    assert record[0].filename == __file__
    assert old_thing.__name__ == "old_thing" and old_thing.__doc__ == "Doubles."
    info = deprecation_of(old_thing)
    assert (info.name, info.since, info.removed_in, info.use) == (
        name, "1.2", "1.3", "accord.services.new_thing")


@pytest.mark.parametrize(("since", "removed_in", "use", "message"), [
    ("1.2", "1.2", "x", "f: removed_in 1.2 must come after since 1.2 "
                        "(deprecated for at least one minor version)"),
    ("1.3", "1.2", "x", "f: removed_in 1.2 must come after since 1.3 "
                        "(deprecated for at least one minor version)"),
    ("soon", "1.3", "x", "f: since 'soon' is not a version number such as '1.2'"),
    ("1.2", "1.3", " ", "f: use must name the replacement"),
])
def test_a_deprecation_must_span_a_version_and_name_a_replacement(since, removed_in, use,
                                                                   message):
    def f() -> None:
        """A hookspec."""

    with pytest.raises(ValueError) as raised:
        deprecated_hook(since=since, removed_in=removed_in, use=use)(f)
    assert str(raised.value) == message


def test_the_core_deprecates_nothing_today(kernel):
    pm = kernel.plugins.pm
    specs = [getattr(pm.hook, name).spec.function for name in kernel.plugins.hook_names()]
    assert specs and [s.__name__ for s in specs if deprecation_of(s)] == []


OBJECT_PLUGIN = '''
from accord.hooks import hookimpl
from accord.plugins import PluginManifest


class Tweaks:
    """A plugin given in code, as an object: Accord(config, plugins=[Tweaks()])."""

    MANIFEST = PluginManifest(name="acme_tweaks", version="1.0.0")

    @hookimpl
    def register_permissions(self):
        return []

    def double(self, value):
        return old_thing(value)
'''


def test_a_plugin_given_in_code_as_an_object_is_named(make_kernel, monkeypatch):
    import types

    module = types.ModuleType("acme_tweaks_code")
    module.old_thing = old_thing
    exec(compile(textwrap.dedent(OBJECT_PLUGIN), "acme_tweaks_code.py", "exec"), vars(module))
    monkeypatch.setitem(__import__("sys").modules, "acme_tweaks_code", module)
    plugin = module.Tweaks()
    make_kernel(plugins=[plugin], enable=["acme_tweaks"])
    with pytest.warns(AccordDeprecationWarning) as record:
        assert plugin.double(3) == 6
    assert [str(w.message) for w in record] == [
        f"plugin 'acme_tweaks' calls {__name__}.old_thing, deprecated since 1.2 and removed "
        "in 1.3: use accord.services.new_thing"]
    assert (record[0].filename, record[0].lineno) == ("acme_tweaks_code.py", 16)
