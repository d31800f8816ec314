"""The ``http proxy`` config node: a proxy for http request nodes.

As Node-RED's http proxy node (nodes/core/network/06-httpproxy.js, 06-httpproxy.html).
"""
from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from flowred import Node, NodeConfig, register
from flowred.fields import TrimmedText

__all__ = ["HttpProxyConfig", "HttpProxyNode"]


class HttpProxyConfig(NodeConfig):
    """``url``: the proxy, e.g. ``http://proxy.example:3128``. ``noproxy``: hosts reached
    directly (``example.com`` also covers its subdomains, ``*`` every host). Credentials:
    ``username``, ``password``."""

    url: TrimmedText = Field("", description="The proxy URL, e.g. http://proxy.example:3128.")
    noproxy: list[str] = Field([], description="Hosts reached without the proxy.")

    @field_validator("noproxy", mode="before")
    @classmethod
    def _noproxy(cls, v: Any) -> Any:
        if v is None:
            return []
        items = v.split(",") if isinstance(v, str) else v
        return [str(h).strip() for h in items if str(h).strip()]


@register("http proxy", category="config", config_node=True, inputs=0, outputs=0,
          credentials=("username", "password"))
class HttpProxyNode(Node):
    """A proxy that http request nodes naming it connect through, except for the hosts in its
    "ignore" list. Its username and password (kept in the credentials file) are sent to the
    proxy as basic auth."""

    Config = HttpProxyConfig

    def proxy_for(self, host: str) -> tuple[str, str, str] | None:
        """``(proxy url, username, password)`` for a request to ``host``, or None when the host
        is in the ignore list or no URL is set."""
        url = self.config.url
        if not url or _bypassed(host.lower(), self.config.noproxy):
            return None
        return url, str(self.credentials.get("username") or ""), str(self.credentials.get("password") or "")


def _bypassed(host: str, noproxy: list[str]) -> bool:
    for entry in noproxy:
        entry = entry.lower().lstrip(".").split(":")[0]
        if entry == "*" or host == entry or host.endswith("." + entry):
            return True
    return False
