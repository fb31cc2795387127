"""What plugin authors use to build and test Accord plugins.

The pytest plugin (``accord_sdk.pytest_plugin``, registered under ``pytest11``) gives
the fixtures Accord's own test suite runs on.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
