"""Differential harness: run Node-RED flows (its shipped examples by default) on FlowRed and on
Node-RED 5 side by side and report every difference a user would see (compat/README.md)."""
