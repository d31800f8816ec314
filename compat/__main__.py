"""``python -m compat FLOW.json [...]`` or ``python -m compat --examples`` (compat/README.md)."""
from .cli import main

main()
