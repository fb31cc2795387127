"""acme_fees' tests import the package as if it were installed (`pip install -e .`)."""

import sys
from pathlib import Path

# In Accord's repository this folder stands in for site-packages.
PROJECT = str(Path(__file__).resolve().parents[1])
if PROJECT not in sys.path:
    sys.path.append(PROJECT)
