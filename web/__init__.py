"""The editor: static files served as they are (no build step), package data of ``flowred.web``
(found with flowred.resources.web_dir)."""
