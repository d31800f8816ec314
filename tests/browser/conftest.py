"""The browser fixtures of test_editor.py (chromium, a flowred server, a page), shared with the
other browser test files of this folder."""
from test_editor import browser, page, start_server  # noqa: F401
