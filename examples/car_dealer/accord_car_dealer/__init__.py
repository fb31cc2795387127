"""accord_car_dealer: a car dealership for Accord, written as a third-party plugin
(the example of docs/plugins.md, "An example plugin outside the tree")."""

from accord.plugins import PluginManifest

from .settings import CarDealerSettings

MANIFEST = PluginManifest(
    name="car_dealer",
    version="0.1.0",
    description="Vehicles with their VIN, test drives and workshop appointments",
    # route_ticket is declared by the service plugin since its version 1.1.
    requires={"service": ">=1.1,<2"},
    core_api=">=1,<2",
    settings_schema=CarDealerSettings,
)

__version__ = MANIFEST.version
