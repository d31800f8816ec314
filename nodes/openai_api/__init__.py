"""The ``OpenAI API`` node and its ``Service Host`` config node.

As the Node-RED package ``@inductiv/node-red-openai-api`` (node.js, src/lib.js): same type
strings, fields and defaults, so its flows (the realtime client-secret example among them) run
unchanged, with the calls made by the official ``openai`` Python SDK.
"""
