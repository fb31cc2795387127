"""car_dealer's tests load the plugin as Accord finds it: an installed package
(``pip install -e .``), named by its entry point. Accord's own suite runs them that
way, in a throwaway environment (tests/examples/test_example_car_dealer_install.py)."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import pytest

from accord import services
from accord.services import Actor

if "car_dealer" not in {ep.name for ep in importlib.metadata.entry_points(
        group="accord.plugins")}:
    pytest.exit("car_dealer is not installed: run `pip install -e .` in examples/car_dealer "
                "first", returncode=4)

SYSTEM = Actor.system("test")
#: VINs with a right check digit (the 9th character).
FORD = "1M8GDM9AXKP042788"
HONDA = "1HGCM82633A004352"
EUR = {"amount": "18450", "currency": "EUR"}


def add_vehicle(kernel: Any, vin: str = FORD, **values: Any) -> Any:
    data = {"vin": vin, "make": "Ford", "model": "Transit", "year": 2019,
            "mileage": 84200, "price": EUR, **values}
    return services.create(kernel, "car_dealer.vehicle", data, actor=SYSTEM)


def add_contact(kernel: Any, last_name: str = "Doe", first_name: str = "Jane") -> Any:
    return services.create(kernel, "contact", {"first_name": first_name,
                                               "last_name": last_name}, actor=SYSTEM)


@pytest.fixture
def ford(kernel: Any) -> Any:
    return add_vehicle(kernel)


@pytest.fixture
def jane(kernel: Any) -> Any:
    return add_contact(kernel)
