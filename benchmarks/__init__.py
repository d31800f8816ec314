"""FlowRed's benchmark suite: the same flows on FlowRed and on Node-RED 5, side by side.

``python -m benchmarks`` runs four scenarios (throughput, startup, token-vending, debug-flood),
prints a table of min/median/max per figure with the ratio FlowRed / Node-RED, and writes it
with the machine's description into ``benchmarks/RESULTS.md``. See ``benchmarks/README.md``.
"""
