"""FlowRed's node types, one module each, registered by their Node-RED type strings.

The runtime imports every module of this package through the ``flowred.nodes`` entry point.
"""
