"""FlowRed's node types, one module each, registered by their Node-RED type strings.

The runtime imports every module of this package through the ``flowred.nodes`` entry point,
except the helper modules of HELPER_MODULES: the node modules import those when they need them.
"""

HELPER_MODULES = frozenset(("codecs", "common", "js_engine", "js_isolate", "json_schema", "python_function_worker",
                            "switch_rules"))
"""Modules that define no node type: the codecs and JSON Schema (imported by a node when it is
created or first needs them), V8's start and isolates, the python-function worker's script
(run in its own processes) and helpers the node modules import themselves."""
