"""The ``http request`` node: sends an HTTP request and sends the response on.

As Node-RED's http request node (nodes/core/network/21-httprequest.js, 21-httprequest.html),
with aiohttp in place of got: one client session (connection pool) per node.
"""
from __future__ import annotations

import asyncio
import base64
import errno
import hashlib
import re
import uuid
from typing import Any
from urllib.parse import quote, unquote
from urllib.request import getproxies_environment, proxy_bypass_environment

import aiohttp
import orjson
from pydantic import Field, field_validator
from pystache.context import ContextStack, KeyNotFoundError
from pystache.parser import ParsingError, parse
from pystache.renderengine import RenderEngine
from yarl import URL

from flowred import (
    UNDEFINED,
    Node,
    NodeConfig,
    NodeError,
    PropertyError,
    TypedValueError,
    get_msg_property,
    register,
    to_number,
)
from flowred.fields import Bool, Text
from flowred.jscompat import js_number_text, js_to_string
from flowred.nodes.common import REQUEST_MARKER, headers_hash, mustache_text, node_headers

__all__ = ["HttpRequestConfig", "HttpRequestNode"]

DEFAULT_TIMEOUT_MS = 120000  # Node-RED's httpRequestTimeout default
MAX_REDIRECTS = 21
NO_RESPONSE = "No response from server"
_REQUESTING = {"fill": "blue", "shape": "dot", "text": "requesting"}
_URI_SAFE = "-_.!~*'()"  # what encodeURIComponent and querystring.escape leave as is
_STRAY_PERCENT = re.compile(r"%(?![0-9a-fA-F]{2})")
_MUSTACHE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
                                   "/": "&#x2F;", "`": "&#x60;", "=": "&#x3D;"})
_CHALLENGE = re.compile(r'([a-z0-9_-]+)=(?:"([^"]+)"|([a-z0-9_-]+))', re.I)
_CERT_CODES = {10: "CERT_HAS_EXPIRED", 18: "DEPTH_ZERO_SELF_SIGNED_CERT", 19: "SELF_SIGNED_CERT_IN_CHAIN",
               20: "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", 21: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
               62: "ERR_TLS_CERT_ALTNAME_INVALID"}


class HttpRequestConfig(NodeConfig):
    """Node-RED's defaults. ``method``: GET, POST, PUT, DELETE, HEAD, PATCH, OPTIONS or ``use``
    (``msg.method``). ``url``: may hold mustache tags (``{{{payload.id}}}``); empty = ``msg.url``.
    ``ret``: ``txt`` (UTF-8 string), ``bin`` (bytes) or ``obj`` (parsed JSON). ``paytoqs``: for
    GET, ``ignore`` the payload, append it as ``query`` string or send it as ``body`` (``true``
    = query). ``headers``: ``[{keyType, keyValue, valueType, valueValue}]`` (type ``other`` = the
    text, ``msg`` = a msg property, else the type itself is the name/value). ``persist``: keep
    connections alive. ``authType``: basic (default), digest or bearer, with credentials
    ``user``/``password``. ``senderr``: errors only go to catch nodes, no msg is sent.
    ``tls``: a ``tls-config`` node; ``proxy``: an ``http proxy`` node. ``insecureHTTPParser``
    is kept, see the node help."""

    method: str = "GET"
    ret: str = "txt"
    paytoqs: str = "ignore"
    url: str = ""
    tls: Text = Field("", description="The id of the tls-config config node for https requests (empty: "
                                     "the system's trusted certificates).")
    persist: Bool = False
    proxy: Text = Field("", description="The id of the http proxy config node (empty: the http_proxy, "
                                       "https_proxy and no_proxy environment variables).")
    insecureHTTPParser: Bool = False
    authType: Text = ""
    senderr: Bool = False
    headers: list[dict] = []

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, v: Any) -> str:
        method = str(v or "GET").strip()
        return "use" if method.lower() == "use" else method.upper()

    @field_validator("ret", mode="before")
    @classmethod
    def _ret(cls, v: Any) -> str:
        return v if v in ("txt", "bin", "obj") else "txt"

    @field_validator("paytoqs", mode="before")
    @classmethod
    def _paytoqs(cls, v: Any) -> str:
        if v is True or v == "query":
            return "query"
        return "body" if v == "body" else "ignore"

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, v: Any) -> str:
        url = "" if v is None else str(v).strip()
        if "{{" in url:
            _compile(url)
        return url

    @field_validator("headers", mode="before")
    @classmethod
    def _headers(cls, v: Any) -> Any:
        return [h for h in v if isinstance(h, dict)] if isinstance(v, list) else []


def _compile(template: str) -> Any:
    try:
        return parse(template, raise_on_mismatch=True)
    except ParsingError as exc:
        raise ValueError(f"invalid mustache template in url: {exc}") from None


@register("http request", category="network", color="#e7e7ae", inputs=1, outputs=1, icon="white-globe.svg",
          credentials=("user", "password"))
class HttpRequestNode(Node):
    """Sends an HTTP request and sends the response on as a msg.

    Input: ``url`` (when the node's URL is empty; the node's URL may use mustache tags with msg
    properties, ``{{{...}}}`` unescaped), ``method`` (when the method is "set by msg.method"),
    ``payload`` (the body: a string or bytes as is, a number as text, an object as JSON, or
    urlencoded / multipart form data when Content-Type says so; for GET see ``paytoqs``),
    ``headers``, ``cookies``, ``followRedirects`` (false stops at the first redirect),
    ``requestTimeout`` (ms; default ``httpRequestTimeout`` setting, 120000),
    ``rejectUnauthorized`` (false accepts any TLS certificate; ignored when a TLS config is
    set). A URL without scheme gets ``http://``; other schemes are refused with a warning.

    Connections: a TLS config node (``tls``) gives https requests their certificates, CA and
    options; an http proxy node (``proxy``), or else the ``http_proxy``/``https_proxy``/
    ``no_proxy`` environment read when the node starts, their proxy.

    Output: ``payload`` (per "Return": a UTF-8 string, bytes, or parsed JSON, which stays a
    string with the warning "JSON parse error" when it does not parse), ``statusCode``,
    ``headers`` (lower-case names), ``responseUrl``, ``redirectList`` (``{location, cookies}``
    per redirect), ``responseCookies``, ``retry`` (0). Gzip bodies are not decompressed, as
    Node-RED.

    Errors (connection refused, timeout "No response from server", too many redirects) are
    reported with the msg (catch nodes get it), the status shows a red ring with the error
    code, and unless "Only send non-2xx responses to Catch node" (``senderr``) is set the msg
    is sent on with ``payload`` = ``"<error> : <url>"`` and ``statusCode`` = the error code.
    HTTP error statuses (4xx/5xx) are normal responses.
    """

    Config = HttpRequestConfig

    def __init__(self, config: HttpRequestConfig, flow) -> None:
        super().__init__(config, flow)
        self.method = config.method
        self.url = config.url
        self.template = _compile(config.url) if "{{" in config.url else None
        self._render = RenderEngine(literal=str, escape=_mustache_escape, resolve_context=_lookup,
                                    resolve_partial=lambda name: "", to_str=mustache_text)
        self.ret = config.ret
        self.paytoqs = config.paytoqs
        self.auth_type = config.authType or "basic"
        self.senderr = config.senderr
        self.persist = config.persist
        self.header_rules = [(h.get("keyType"), h.get("keyValue"), h.get("valueType"), h.get("valueValue"))
                             for h in config.headers]
        timeout = self.setting("httpRequestTimeout")
        try:
            timeout_ms = int(timeout) if timeout else DEFAULT_TIMEOUT_MS
        except (TypeError, ValueError):
            timeout_ms = DEFAULT_TIMEOUT_MS
        self.timeout_ms = timeout_ms or DEFAULT_TIMEOUT_MS
        self._timeout = aiohttp.ClientTimeout(total=self.timeout_ms / 1000)
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str] = {}
        self._tls: Any = None
        self._proxy_node: Any = None

    def start(self) -> None:
        self._tls = self.config_node(self.config.tls)
        self._proxy_node = self.config_node(self.config.proxy)
        connector = aiohttp.TCPConnector(limit=0, force_close=not self.persist)
        # The proxy environment (http_proxy, https_proxy, no_proxy) is read once here, as
        # Node-RED reads it when the node is created; aiohttp's trust_env would read it and
        # ~/.netrc on a worker thread for every request.
        self._proxies = getproxies_environment()
        self._session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                              auto_decompress=False, trust_env=False)

    def _proxy_for(self, target: URL) -> tuple[str, dict | None] | None:
        """``(proxy url, headers for the proxy)`` for ``target`` from the node's http proxy
        node, else from the environment; None when there is none or the host is excluded
        (noproxy / no_proxy). The proxy node's username/password go as basic auth."""
        if self._proxy_node is not None:
            found = self._proxy_node.proxy_for(target.host or "")
            if found is None:
                return None
            url, user, password = found
            if not user:
                return url, None
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            return url, {"Proxy-Authorization": "Basic " + token}
        proxies = self._proxies
        if not proxies:
            return None
        proxy = proxies.get(target.scheme)
        if proxy is None or proxy_bypass_environment(target.host or "", proxies):
            return None
        return proxy, None

    async def close(self, removed: bool) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.status({})

    async def on_input(self, msg: dict) -> None:
        self.status(_REQUESTING)
        url = self.url or msg.get("url")
        if self.url and msg.get("url") and msg["url"] != self.url:
            self.warn("Warning: msg properties can no longer override set node properties. "
                      "See bit.ly/nr-override-msg-props")
        if self.template is not None:
            url = self.template.render(self._render, ContextStack(msg))
        if not url:
            self.error("No url specified", msg)
            return
        url = url if isinstance(url, str) else js_to_string(url)
        if "://" in url and not url.startswith("http"):
            self.warn("non-http transport requested")
            self.status({"fill": "red", "shape": "ring", "text": "non-http transport requested"})
            return
        if not url.startswith(("http://", "https://")):
            url = "http://" + url
        if "?" in url:
            head, _, query = url.partition("?")
            url = head + "?" + _STRAY_PERCENT.sub("%25", query)
        method = self._method(msg)
        timeout = self._request_timeout(msg)
        headers = self._headers(msg)
        if "cookie" in headers or isinstance(msg.get("cookies"), dict):
            _merge_cookies(headers, msg.get("cookies"))
        payload = msg.get("payload", UNDEFINED)
        data: Any = None
        if method not in ("GET", "HEAD") and payload is not UNDEFINED:
            data = _body(payload, headers)
        elif method == "GET" and payload is not UNDEFINED and self.paytoqs != "ignore":
            if self.paytoqs == "query":
                if not (payload is None or isinstance(payload, (dict, list))):
                    self.error("Invalid payload", msg)
                    return
                url += ("" if url.endswith("?") else "&") if "?" in url else "?"
                url += _querystring(payload)
            else:
                data = _get_body(payload)
        try:
            target = URL(url.replace(" ", "%20"))  # as WHATWG URL, not "+"
            if not target.host:
                raise ValueError(url)
        except ValueError:
            self._failed(msg, url, "RequestError: Invalid URL", "ERR_INVALID_URL")
            return
        user, password = self.credentials.get("user") or "", self.credentials.get("password") or ""
        if target.user or target.password:
            user, password = user or target.user or "", password or target.password or ""
            target = target.with_user(None)
        digest = None
        if user or password:
            if self.auth_type == "basic":
                token = base64.b64encode(f"{user}:{password}".encode()).decode()
                _set_header(headers, "Authorization", "Basic " + token)
            elif self.auth_type == "digest":
                digest = (user, password)
            elif self.auth_type == "bearer":
                _set_header(headers, "Authorization", f"Bearer {password}")
        options = {
            "headers": _header_pairs(headers),
            "data": data,
            "allow_redirects": bool(msg["followRedirects"]) if "followRedirects" in msg else True,
            "max_redirects": MAX_REDIRECTS,
            "timeout": timeout,
            "skip_auto_headers": ("Accept-Encoding",) if isinstance(data, aiohttp.FormData)
                                 or _has(headers, "content-type") else ("Accept-Encoding", "Content-Type"),
        }
        tls = self._tls
        if tls is not None:  # as Node-RED: msg.rejectUnauthorized only counts without a TLS config
            try:
                options["ssl"] = tls.ssl_context()
            except NodeError as exc:
                self._failed(msg, url, str(exc), "ERR_TLS_CONFIG")
                return
            if tls.servername:
                options["server_hostname"] = tls.servername
        elif msg.get("rejectUnauthorized") is False:
            options["ssl"] = False
        try:
            response, body = await self._fetch(method, target, options, digest)
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
            self.error(NO_RESPONSE, msg)
            self.status({"fill": "red", "shape": "ring", "text": NO_RESPONSE})
            self._send_error(msg, f"TimeoutError: Timeout awaiting 'request' for {round(timeout.total * 1000)}ms",
                             url, "ETIMEDOUT")
            return
        except (aiohttp.ClientError, ValueError, OSError) as exc:
            text, code = _describe(exc, target)
            self._failed(msg, url, text, code)
            return
        self._respond(msg, response, body)

    def _method(self, msg: dict) -> str:
        given = msg.get("method")
        if self.method == "use":
            return given.upper() if isinstance(given, str) and given else "GET"
        if given:
            self.warn("Warning: msg properties can no longer override set node properties. "
                      "See bit.ly/nr-override-msg-props")
        return self.method

    def _request_timeout(self, msg: dict) -> aiohttp.ClientTimeout:
        value = msg.get("requestTimeout", UNDEFINED)
        if value is UNDEFINED:
            return self._timeout
        try:
            ms = to_number(value)
        except TypedValueError:
            ms = float("nan")
        if ms != ms:
            self.warn("Timeout value is not a valid number, ignoring")
        elif ms < 1:
            self.warn("Timeout value is negative, ignoring")
        else:
            return aiohttp.ClientTimeout(total=ms / 1000)
        return self._timeout

    def _headers(self, msg: dict) -> dict[str, Any]:
        """``msg.headers`` (unless unchanged from an earlier http request), then the node's."""
        headers: dict[str, Any] = {}
        given = msg.get("headers")
        if isinstance(given, dict) and REQUEST_MARKER in given:
            marker = given.pop(REQUEST_MARKER)
            if marker == headers_hash(given):
                del msg["headers"]
                given = None
        if isinstance(given, dict):
            for name, value in given.items():
                _set_header(headers, str(name), value)
        for key_type, key_value, value_type, value_value in self.header_rules:
            name = _rule_value(key_type, key_value, msg)
            if not name:
                continue
            _set_header(headers, js_to_string(name), _rule_value(value_type, value_value, msg))
        return headers

    async def _fetch(self, method: str, target: URL, options: dict,
                     digest: tuple[str, str] | None) -> tuple[aiohttp.ClientResponse, bytes]:
        session = self._session
        if session is None:
            raise aiohttp.ClientConnectionError("node is closed")
        proxy = self._proxy_for(target)
        if proxy is not None:
            url, proxy_headers = proxy
            options = {**options, "proxy": url}
            if proxy_headers:
                options["proxy_headers"] = proxy_headers  # the CONNECT of an https request
                if target.scheme == "http":  # plain http: the request itself goes to the proxy
                    options["headers"] = [*options["headers"], *proxy_headers.items()]
        async with session.request(method, target, **options) as response:
            body = await response.read()
        if digest is not None and response.status == 401:
            challenge = response.headers.get("WWW-Authenticate")
            headers = options["headers"]
            if challenge:
                headers = [h for h in headers if h[0].lower() != "authorization"]
                uri = response.url.raw_path_qs
                headers.append(("Authorization", _digest_header(*digest, method, uri, challenge)))
            async with session.request(method, target, **{**options, "headers": headers}) as response:
                body = await response.read()
        return response, body

    def _respond(self, msg: dict, response: aiohttp.ClientResponse, body: bytes) -> None:
        headers = node_headers(response.headers)
        msg["statusCode"] = response.status
        msg["headers"] = headers
        msg["responseUrl"] = str(response.url)
        msg["redirectList"] = [_redirect_info(r) for r in response.history]
        msg["retry"] = 0
        if "set-cookie" in headers:
            msg["responseCookies"] = _extract_cookies(headers["set-cookie"])
        headers[REQUEST_MARKER] = headers_hash(headers)
        if self.ret == "bin":
            msg["payload"] = body
        else:
            text = body.decode("utf-8", "replace")
            msg["payload"] = text
            if self.ret == "obj":
                try:
                    msg["payload"] = orjson.loads("{}" if response.status == 204 else text)
                except orjson.JSONDecodeError:
                    self.warn("JSON parse error")
        self.status({})
        self.send(msg)

    def _failed(self, msg: dict, url: str, text: str, code: str) -> None:
        self.error(text, msg)
        self.status({"fill": "red", "shape": "ring", "text": code})
        self._send_error(msg, text, url, code)

    def _send_error(self, msg: dict, text: str, url: str, code: str) -> None:
        msg["payload"] = f"{text} : {url}"
        msg["statusCode"] = code
        if not self.senderr:
            self.send(msg)


def _lookup(stack: ContextStack, name: str) -> Any:
    try:
        return stack.get(name)
    except KeyNotFoundError:
        return ""


def _mustache_escape(text: str) -> str:
    return text.translate(_MUSTACHE_ESCAPES)


def _rule_value(kind: Any, value: Any, msg: dict) -> Any:
    """A header name or value of the node's list: ``other`` → the text, ``msg`` → a msg
    property (None when it is missing or the path is bad), else the type itself."""
    if kind == "other":
        return value
    if kind == "msg":
        try:
            found = get_msg_property(msg, value)
        except PropertyError:
            return None
        return None if found is UNDEFINED else found
    return kind


def _set_header(headers: dict, name: str, value: Any) -> None:
    """Set ``name`` replacing any case variant of it; an empty value removes it."""
    lower = name.lower()
    for key in [k for k in headers if k.lower() == lower]:
        del headers[key]
    if value:
        headers[name] = value


def _has(headers: dict, lower: str) -> bool:
    return any(k.lower() == lower for k in headers)


def _get(headers: dict, lower: str) -> Any:
    return next((v for k, v in headers.items() if k.lower() == lower), None)


def _header_pairs(headers: dict) -> list[tuple[str, str]]:
    out = []
    for name, value in headers.items():
        if isinstance(value, list):
            out.extend((name, js_to_string(v)) for v in value)
        else:
            out.append((name, js_to_string(value)))
    return out


def _merge_cookies(headers: dict, cookies: Any) -> None:
    """Fold a ``cookie`` header and ``msg.cookies`` into one Cookie header (a null cookie, or
    one with ``value: null``, is skipped: it only means "clear" to an http response node)."""
    pairs = []
    existing = headers.pop("cookie", None)
    if existing:
        pairs.extend(p.strip() for p in js_to_string(existing).split(";") if "=" in p)
    if isinstance(cookies, dict):
        for name, spec in cookies.items():
            if spec is None or (isinstance(spec, dict) and spec.get("value", "") is None):
                continue
            if isinstance(spec, dict):
                text = js_to_string(spec.get("value", UNDEFINED))
                pairs.append(f"{name}={text if spec.get('encode') is False else quote(text, safe=_URI_SAFE)}")
            else:
                pairs.append(f"{name}={quote(js_to_string(spec), safe=_URI_SAFE)}")
    if pairs:
        _set_header(headers, "Cookie", "; ".join(pairs))


def _body(payload: Any, headers: dict) -> Any:
    """The request body for ``payload`` as Node-RED builds it."""
    ctype = _get(headers, "content-type")
    if ctype == "multipart/form-data" and isinstance(payload, dict):
        _set_header(headers, "Content-Type", None)
        return _form(payload)
    if isinstance(payload, (str, bytes, bytearray)):
        return payload.encode() if isinstance(payload, str) else bytes(payload)
    if isinstance(payload, (int, float)) and not isinstance(payload, bool):
        return js_number_text(payload).encode()
    if ctype == "application/x-www-form-urlencoded":
        return _querystring(payload).encode()
    if ctype is None:
        headers["Content-Type"] = "application/json"
    return orjson.dumps(payload, default=_json_default)


def _get_body(payload: Any) -> Any:
    """A GET body (``paytoqs: body``)."""
    if isinstance(payload, (str, bytes, bytearray)):
        return payload.encode() if isinstance(payload, str) else bytes(payload)
    if isinstance(payload, (int, float)) and not isinstance(payload, bool):
        return js_number_text(payload).encode()
    if payload is None or isinstance(payload, (dict, list)):
        return orjson.dumps(payload, default=_json_default)
    return None


def _form(payload: dict) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in payload.items():
        if value is None or value is UNDEFINED:
            continue
        if isinstance(value, (str, bytes, bytearray)):
            form.add_field(name, bytes(value) if isinstance(value, bytearray) else value)
        elif isinstance(value, dict) and "value" in value:
            opts = value.get("options") if isinstance(value.get("options"), dict) else {}
            form.add_field(name, value["value"], filename=opts.get("filename"),
                           content_type=opts.get("contentType"))
        else:
            form.add_field(name, orjson.dumps(value, default=_json_default).decode())
    return form


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"type": "Buffer", "data": list(value)}
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return None if value is UNDEFINED else str(value)


def _querystring(payload: Any) -> str:
    """Node.js' ``querystring.stringify``: arrays repeat the key, nested objects give an
    empty value."""
    if isinstance(payload, list):
        payload = {str(i): v for i, v in enumerate(payload)}
    if not isinstance(payload, dict):
        return ""
    parts = []
    for name, value in payload.items():
        key = quote(str(name), safe=_URI_SAFE)
        for item in (value if isinstance(value, list) else [value]):
            if isinstance(item, (str, int, float)):
                parts.append(f"{key}={quote(js_to_string(item), safe=_URI_SAFE)}")
            else:
                parts.append(f"{key}=")
    return "&".join(parts)


def _describe(exc: BaseException, target: URL) -> tuple[str, str]:
    """got's ``error.toString()`` and ``error.code`` for a failed request."""
    host = f"{target.host}:{target.port}"
    if isinstance(exc, aiohttp.TooManyRedirects):
        return f"MaxRedirectsError: Redirected {MAX_REDIRECTS} times. Aborting.", "ERR_TOO_MANY_REDIRECTS"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        code = _CERT_CODES.get(getattr(exc.certificate_error, "verify_code", None), "CERT_ERROR")
        return f"RequestError: {exc.certificate_error}", code
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"RequestError: getaddrinfo ENOTFOUND {target.host}", "ENOTFOUND"
    if isinstance(exc, aiohttp.ClientConnectorError):
        code = errno.errorcode.get(exc.os_error.errno or 0, "ECONNREFUSED")
        return f"RequestError: connect {code} {host}", code
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "RequestError: socket hang up", "ECONNRESET"
    if isinstance(exc, (aiohttp.InvalidURL, ValueError)):
        return "RequestError: Invalid URL", "ERR_INVALID_URL"
    if isinstance(exc, OSError) and exc.errno in errno.errorcode:
        code = errno.errorcode[exc.errno]
        return f"RequestError: {exc.strerror or code}", code
    return f"RequestError: {exc}", type(exc).__name__


def _redirect_info(response: aiohttp.ClientResponse) -> dict:
    info: dict[str, Any] = {"location": response.headers.get("Location")}
    cookies = response.headers.getall("Set-Cookie", [])
    if cookies:
        info["cookies"] = _extract_cookies(cookies)
    return info


def _extract_cookies(set_cookies: list[str]) -> dict:
    """Set-Cookie headers as Node-RED's ``responseCookies``: name → ``{value, Path, ...}``."""
    out: dict[str, dict] = {}
    for line in set_cookies:
        parsed: dict[str, str] = {}
        for pair in line.split(";"):
            key, eq, value = pair.partition("=")
            key = key.strip()
            if not eq or not key or key in parsed:
                continue
            value = value.strip()
            if len(value) > 1 and value[0] == value[-1] == '"':
                value = value[1:-1]
            parsed[key] = unquote(value) if "%" in value else value
        name = line.partition("=")[0].strip()
        parsed["value"] = parsed.pop(name, None)
        out[name] = parsed
    return out


def _digest_header(user: str, password: str, method: str, uri: str, challenge_text: str) -> str:
    """An RFC 7616 Digest Authorization header for the server's challenge."""
    challenge = {m.group(1): m.group(2) or m.group(3) for m in _CHALLENGE.finditer(challenge_text)}
    algorithm = challenge.get("algorithm")
    qop = "auth" if re.search(r"(^|,)\s*auth\s*($|,)", challenge.get("qop", "")) else None
    nc = "00000001" if qop else None
    cnonce = uuid.uuid4().hex if qop else None
    realm, nonce = challenge.get("realm", ""), challenge.get("nonce", "")
    ha1 = _digest(algorithm, f"{user}:{realm}:{password}")
    if algorithm and algorithm.lower().endswith("-sess"):
        ha1 = _digest(algorithm, f"{ha1}:{nonce}:{cnonce}")
    ha2 = _digest(algorithm, f"{method}:{uri}")
    answer = _digest(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}" if qop else f"{ha1}:{nonce}:{ha2}")
    fields = [("username", user, True), ("realm", realm, True), ("nonce", nonce, True), ("uri", uri, True),
              ("qop", qop, False), ("response", answer, True), ("nc", nc, False), ("cnonce", cnonce, True),
              ("algorithm", algorithm, False), ("opaque", challenge.get("opaque"), True)]
    return "Digest " + ", ".join(f'{k}="{v}"' if quoted else f"{k}={v}" for k, v, quoted in fields if v)


def _digest(algorithm: str | None, value: str) -> str:
    name = (algorithm or "").lower().removesuffix("-sess")
    data = value.encode()
    if name == "sha-256":
        return hashlib.sha256(data).hexdigest()
    if name == "sha-512-256":
        return hashlib.sha512(data).hexdigest()[:64]
    return hashlib.md5(data).hexdigest()
