"""``python -m benchmarks``: run the suite (from the project root); see benchmarks/README.md."""
from __future__ import annotations

import sys

from .suite import main

if __name__ == "__main__":
    sys.exit(main())
