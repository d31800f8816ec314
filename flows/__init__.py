"""The example flows offered under Import › Examples, package data of ``flowred.flows`` (found
with flowred.resources.examples_dir)."""
