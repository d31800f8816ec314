"""Which nodes a deploy must restart, as Node-RED's ``diffConfig`` (runtime/lib/flows/util.js).

A node is changed when any of its properties other than ``wires`` and its position (``x``, ``y``,
``w``, ``h``) differ, when its credentials differ, when its tab changed (label, env, disabled),
or when a config node it uses changed. Rewiring alone does not restart a node (its wires are
updated in place). Moving a node on the canvas does not restart it either (Node-RED restarts
it; a timer losing its phase because a node was moved is a surprise, not a feature).
"""
from __future__ import annotations

from typing import Iterable

__all__ = ["changed_nodes"]

_IGNORED = {"wires", "x", "y", "w", "h"}


def _strip(node: dict) -> dict:
    return {k: v for k, v in node.items() if k not in _IGNORED}


def changed_nodes(old: Iterable[dict], new: Iterable[dict], old_creds: dict, new_creds: dict,
                  mode: str) -> set[str]:
    """Ids (old or new) of the nodes to stop and start again for a ``nodes`` or ``flows`` deploy.

    ``mode`` ``nodes``: the changed, added and removed nodes (and the users of changed config
    nodes); ``flows``: every node of a tab that holds any of those, and the tabs themselves.
    """
    old_by_id = {n["id"]: n for n in old}
    new_by_id = {n["id"]: n for n in new}
    changed = {nid for nid in old_by_id.keys() ^ new_by_id.keys()}
    for nid, node in new_by_id.items():
        prev = old_by_id.get(nid)
        if prev is not None and (_strip(prev) != _strip(node) or old_creds.get(nid) != new_creds.get(nid)):
            changed.add(nid)
    tabs = {nid for nid in changed if (new_by_id.get(nid) or old_by_id.get(nid))["type"] in ("tab", "subflow")}
    for nid, node in new_by_id.items():
        if node.get("z") in tabs:
            changed.add(nid)
    # users of changed config nodes, until nothing more changes (config nodes may use others)
    grew = True
    while grew:
        grew = False
        for nid, node in new_by_id.items():
            if nid not in changed and any(isinstance(v, str) and v in changed and v != node.get("z")
                                          for k, v in node.items() if k not in ("id", "type", "z", "g")):
                changed.add(nid)
                grew = True
    if mode == "flows":
        hit = {(new_by_id.get(nid) or old_by_id.get(nid)).get("z") or "global" for nid in changed}
        for nid, node in {**old_by_id, **new_by_id}.items():
            if (node.get("z") or "global") in hit:
                changed.add(nid)
    return changed
