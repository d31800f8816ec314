"""Runtime logging in Node-RED's line format: ``23 Nov 00:17:39 - [error] [inject:i2] text``.

As @node-red/util/lib/log.js: levels fatal 10, error 20, warn 30, info 40, debug 50, trace 60.
Warnings and errors of nodes are also published to the debug sidebar by the engine.
"""
from __future__ import annotations

import logging
import sys
import time

__all__ = ["logger", "configure", "ERROR", "WARN", "INFO", "DEBUG"]

ERROR, WARN, INFO, DEBUG = 20, 30, 40, 50

logger = logging.getLogger("flowred")


class _NodeRedFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%d %b %H:%M:%S", time.localtime(record.created))
        level = {"WARNING": "warn", "CRITICAL": "fatal"}.get(record.levelname, record.levelname.lower())
        return f"{stamp} - [{level}] {record.getMessage()}"


def configure(level: str = "info", stream=None) -> None:
    """Send flowred's log to ``stream`` (stderr by default) in Node-RED's format; idempotent."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_NodeRedFormatter())
    logger.handlers[:] = [handler]
    logger.setLevel({"trace": 5, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
                     "error": logging.ERROR}.get(level, logging.INFO))
    logger.propagate = False
