"""``python -m flowred``: the ``flowred`` command (flowred.cli)."""
from .cli import main

raise SystemExit(main())
