"""The plugin's name is its entry point's name; the package it imports may differ."""

import importlib.metadata
import tomllib
from pathlib import Path

import acme_fees
from accord.plugins.discovery import ENTRY_POINT_GROUP

PROJECT = Path(acme_fees.__file__).parents[1]


def test_the_entry_point_names_the_plugin_and_its_hooks_module():
    pyproject = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    [(name, target)] = pyproject["project"]["entry-points"][ENTRY_POINT_GROUP].items()
    assert name == acme_fees.MANIFEST.name == "acme_fees"
    assert target == "acme_fees.hooks"
    assert importlib.import_module(target).register_record_types()[0].name == "acme_fees.fee"


def test_a_shipped_plugin_imports_under_another_name():
    sales = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)["sales"]
    assert sales.value == "accord_sales.hooks"  # plugin "sales", package accord_sales
    assert importlib.import_module("accord_sales").MANIFEST.name == "sales"
