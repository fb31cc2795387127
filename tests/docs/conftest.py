"""The docs' worked example imports acme_notes as an installed plugin package would be."""

from __future__ import annotations

import sys
from pathlib import Path

# tests/plugins_folder stands in for site-packages: the guide's example test imports
# ``acme_notes`` exactly as a third-party plugin's own tests import their package.
_FOLDER = str(Path(__file__).resolve().parents[1] / "plugins_folder")
if _FOLDER not in sys.path:
    sys.path.append(_FOLDER)
