"""JSON Schema validation as the json node of Node-RED does it: ajv 8 with ``allErrors``,
draft-07 (draft-06 schemas accepted), no formats, strict mode.

``compile_schema(schema)`` checks the schema as ajv's ``compile`` does and returns a validator;
the validator returns ajv's error objects (``{instancePath, schemaPath, keyword, params,
message}``) in ajv's order, and ``errors_text`` joins them as ``ajv.errorsText`` does
(``data/price must be number, data must have required property 'kind'``).

What ajv's compile rejects is rejected here too (SchemaCompileError): an unknown keyword
(strict mode), any ``format`` (ajv has no formats without ajv-formats), ``id``, ``nullable``
without ``type``, a ``$schema`` other than draft-07/draft-06, a ``$ref`` that does not resolve
in the schema, an invalid regular expression and the common meta-schema violations (wrong
value types, ``multipleOf`` not > 0, empty ``enum``). Values follow JavaScript: ``true`` is not
a number, ``1.0`` is an integer, strings are counted in code points.
"""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import quote

from flowred import NodeError
from flowred.jscompat import js_number_text, js_regex

__all__ = ["SchemaCompileError", "compile_schema", "errors_text"]


class SchemaCompileError(Exception):
    """The schema is one ajv's ``compile`` throws on; the message says why."""


TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")
# ajv's keyword groups, each in the order ajv evaluates it; the untyped group runs first
UNTYPED = ("$ref", "const", "enum", "not", "anyOf", "oneOf", "allOf", "if")
GROUPS = (
    ("number", ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf")),
    ("string", ("maxLength", "minLength", "pattern")),
    ("array", ("maxItems", "minItems", "additionalItems", "items", "contains", "uniqueItems")),
    ("object", ("maxProperties", "minProperties", "required", "propertyNames", "additionalProperties",
                "dependencies", "properties", "patternProperties")),
)
OTHER = ("$schema", "$id", "$comment", "$vocabulary", "$defs", "definitions", "$async", "type", "nullable",
         "then", "else", "title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
         "contentMediaType", "contentEncoding", "contentSchema")
KNOWN = frozenset(UNTYPED + OTHER + tuple(k for _, ks in GROUPS for k in ks))
META_SCHEMAS = {f"http://json-schema.org/{d}schema{h}" for d in ("draft-07/", "draft-06/", "") for h in ("", "#")}
NUMBER_KEYWORDS = ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf")
COUNT_KEYWORDS = ("maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties")
SCHEMA_KEYWORDS = ("additionalItems", "additionalProperties", "contains", "not", "if", "then", "else",
                   "propertyNames", "contentSchema")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs")
COMPARISON = {"maximum": "<=", "minimum": ">=", "exclusiveMaximum": "<", "exclusiveMinimum": ">"}


def _is_number(v: Any) -> bool:
    return (type(v) is int or type(v) is float)


def _has_type(t: str, v: Any) -> bool:
    """``v`` is of JSON Schema type ``t``, by JavaScript's values."""
    if t == "number":
        return _is_number(v)
    if t == "integer":
        return type(v) is int or (type(v) is float and v.is_integer())
    if t == "string":
        return isinstance(v, str)
    if t == "object":
        return isinstance(v, dict)
    if t == "array":
        return isinstance(v, (list, tuple))
    if t == "boolean":
        return type(v) is bool
    return v is None


def _equal(a: Any, b: Any) -> bool:
    """Deep equality as ajv's (fast-deep-equal): ``true`` is not ``1``, ``1`` is ``1.0``."""
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _pointer(key: Any) -> str:
    """One JSON pointer segment (``~`` → ``~0``, ``/`` → ``~1``)."""
    return str(key).replace("~", "~0").replace("/", "~1")


def _fragment(key: Any) -> str:
    """One schemaPath segment: the pointer segment, URI-encoded as encodeURIComponent does."""
    return quote(_pointer(key), safe="-_.!~*'()")


def _text(v: Any) -> str:
    return js_number_text(v) if _is_number(v) else str(v)


def _regex(pattern: Any):
    if not isinstance(pattern, str):
        raise SchemaCompileError("pattern must be string")
    try:
        return js_regex(pattern)
    except NodeError as exc:
        raise SchemaCompileError(str(exc)) from None


# -- compile: what ajv's compile throws on ---------------------------------------------------

def _check(schema: Any, ids: dict[str, Any], refs: list[str], path: str) -> None:
    """Check one (sub)schema at schemaPath ``path``; collects ``$id`` and ``$ref`` values."""
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise SchemaCompileError(f"schema at {path} must be object,boolean")
    for key, value in schema.items():
        if key == "format":
            raise SchemaCompileError(f'unknown format "{value}" ignored in schema at path "{path}"')
        if key == "id":
            raise SchemaCompileError('NOT SUPPORTED: keyword "id", use "$id" for schema ID')
        if key not in KNOWN:
            raise SchemaCompileError(f'strict mode: unknown keyword: "{key}"')
        sub = f"{path}/{_fragment(key)}"
        if key in NUMBER_KEYWORDS and not _is_number(value):
            raise SchemaCompileError(f"schema is invalid: {key} must be number")
        if key == "multipleOf" and not value > 0:
            raise SchemaCompileError("schema is invalid: multipleOf must be > 0")
        if key in COUNT_KEYWORDS and not (_has_type("integer", value) and value >= 0):
            raise SchemaCompileError(f"schema is invalid: {key} must be a non-negative integer")
        if key in ("$ref", "$id", "$schema", "$comment", "title", "description") and not isinstance(value, str):
            raise SchemaCompileError(f"schema is invalid: {key} must be string")
        if key == "$schema" and value not in META_SCHEMAS:
            raise SchemaCompileError(f'no schema with key or ref "{value}"')
        if key == "$id":
            ids[value] = schema
        if key == "$ref":
            refs.append(value)
        if key == "type":
            types = value if isinstance(value, list) else [value]
            if not types or any(t not in TYPES for t in types) or len(set(map(str, types))) != len(types):
                raise SchemaCompileError("schema is invalid: type must be equal to one of the allowed values")
        if key == "nullable" and "type" not in schema:
            raise SchemaCompileError('"nullable" cannot be used without "type"')
        if key in ("required", "enum") and not isinstance(value, list):
            raise SchemaCompileError(f"schema is invalid: {key} must be array")
        if key == "enum" and not value:
            raise SchemaCompileError("schema is invalid: enum must NOT have fewer than 1 items")
        if key == "required" and (any(not isinstance(p, str) for p in value) or len(set(value)) != len(value)):
            raise SchemaCompileError("schema is invalid: required must be unique strings")
        if key == "pattern":
            _regex(value)
        if key in SCHEMA_KEYWORDS or (key == "items" and not isinstance(value, list)):
            _check(value, ids, refs, sub)
        elif key in SCHEMA_LISTS or key == "items":
            if not isinstance(value, list) or not value:
                raise SchemaCompileError(f"schema is invalid: {key} must be a non-empty array")
            for i, s in enumerate(value):
                _check(s, ids, refs, f"{sub}/{i}")
        elif key in SCHEMA_MAPS or key == "dependencies":
            if not isinstance(value, dict):
                raise SchemaCompileError(f"schema is invalid: {key} must be object")
            for name, s in value.items():
                if key == "patternProperties":
                    _regex(name)
                if key == "dependencies" and isinstance(s, list):
                    if any(not isinstance(p, str) for p in s):
                        raise SchemaCompileError("schema is invalid: dependencies must list strings")
                    continue
                _check(s, ids, refs, f"{sub}/{_fragment(name)}")


def _resolve(root: Any, ids: dict[str, Any], ref: str) -> tuple[Any, str]:
    """The schema a ``$ref`` names and its schemaPath (the ``$ref`` as written, as ajv's error
    paths show it); SchemaCompileError when there is none."""
    written = ref
    base = root.get("$id", "").split("#")[0] if isinstance(root, dict) and isinstance(root.get("$id"), str) else ""
    if base and ref.startswith(base):
        ref = ref[len(base):] or "#"
    if ref in ids:
        return ids[ref], written
    if ref == "#" or ref.startswith("#/"):
        node: Any = root
        for part in ref[2:].split("/") if ref != "#" else []:
            part = part.replace("%25", "%").replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SchemaCompileError(f"can't resolve reference {ref} from id #")
        return node, written
    raise SchemaCompileError(f"can't resolve reference {ref} from id #")


def compile_schema(schema: Any) -> Callable[[Any], list[dict]]:
    """A validator for ``schema``: ``validate(value) -> errors`` (empty when valid), ajv's error
    objects in ajv's order. SchemaCompileError for a schema ajv's compile rejects."""
    ids: dict[str, Any] = {}
    refs: list[str] = []
    _check(schema, ids, refs, "#")
    resolved = {ref: _resolve(schema, ids, ref) for ref in refs}

    def validate(value: Any) -> list[dict]:
        errors: list[dict] = []
        try:
            _Validation(resolved).run(schema, value, "", "#", errors)
        except RecursionError:
            raise NodeError("JSON Schema error: Maximum call stack size exceeded") from None
        return errors

    return validate


def errors_text(errors: list[dict]) -> str:
    """The errors as ``ajv.errorsText`` writes them: ``data<instancePath> <message>``, joined by ", "."""
    return ", ".join(f"data{e['instancePath']} {e['message']}" for e in errors)


# -- validation ------------------------------------------------------------------------------

class _Validation:
    """One validation run: ``run`` appends ajv's errors for ``value`` against ``schema``."""

    def __init__(self, refs: dict[str, tuple[Any, str]]) -> None:
        self.refs = refs

    def run(self, schema: Any, value: Any, ipath: str, spath: str, errors: list[dict]) -> bool:
        """Validate; append the errors; True when valid."""
        if schema is True:
            return True
        if schema is False:
            errors.append(_error(ipath, f"{spath}/false schema", "false schema", {}, "boolean schema is false"))
            return False
        count = len(errors)
        types = schema.get("type")
        type_list = [] if types is None else (types if isinstance(types, list) else [types])
        if type_list and schema.get("nullable") is True and "null" not in type_list:
            type_list = [*type_list, "null"]
        type_ok = not type_list or any(_has_type(t, value) for t in type_list)
        in_group = None
        if len(type_list) == 1:
            in_group = next((g for g, keys in GROUPS if g == type_list[0] and any(k in schema for k in keys)), None)
        if not type_ok and in_group is None:
            errors.append(self._type_error(schema, ipath, spath))
        for key in UNTYPED:
            if key in schema:
                getattr(self, "k_" + key.lstrip("$"))(schema, value, ipath, spath, errors)
        for group, keys in GROUPS:
            if not any(k in schema for k in keys):
                continue
            if _has_type(group, value):
                for key in keys:
                    if key in schema:
                        getattr(self, "k_" + key)(schema, value, ipath, spath, errors)
            elif group == in_group:
                errors.append(self._type_error(schema, ipath, spath))
        return len(errors) == count

    def _type_error(self, schema: dict, ipath: str, spath: str) -> dict:
        t = schema["type"]
        shown = ",".join(t) if isinstance(t, list) else t
        return _error(ipath, spath + "/type", "type", {"type": t}, f"must be {shown}")

    def _sub(self, schema: Any, value: Any, ipath: str, spath: str) -> tuple[bool, list[dict]]:
        errs: list[dict] = []
        return self.run(schema, value, ipath, spath, errs), errs

    # untyped
    def k_ref(self, s, v, ip, sp, errors):
        target, path = self.refs[s["$ref"]]
        self.run(target, v, ip, path, errors)

    def k_const(self, s, v, ip, sp, errors):
        if not _equal(v, s["const"]):
            errors.append(_error(ip, sp + "/const", "const", {"allowedValue": s["const"]}, "must be equal to constant"))

    def k_enum(self, s, v, ip, sp, errors):
        if not any(_equal(v, x) for x in s["enum"]):
            errors.append(_error(ip, sp + "/enum", "enum", {"allowedValues": s["enum"]},
                                 "must be equal to one of the allowed values"))

    def k_not(self, s, v, ip, sp, errors):
        if self._sub(s["not"], v, ip, sp + "/not")[0]:
            errors.append(_error(ip, sp + "/not", "not", {}, "must NOT be valid"))

    def k_anyOf(self, s, v, ip, sp, errors):
        found: list[dict] = []
        for i, sub in enumerate(s["anyOf"]):
            ok, errs = self._sub(sub, v, ip, f"{sp}/anyOf/{i}")
            if ok:
                return
            found += errs
        errors += found
        errors.append(_error(ip, sp + "/anyOf", "anyOf", {}, "must match a schema in anyOf"))

    def k_oneOf(self, s, v, ip, sp, errors):
        # ajv stops at the second passing schema: passingSchemas names the first two
        found: list[dict] = []
        valid, passing = False, None
        for i, sub in enumerate(s["oneOf"]):
            ok, errs = self._sub(sub, v, ip, f"{sp}/oneOf/{i}")
            found += errs
            if ok and valid:
                valid, passing = False, [passing, i]
                break
            if ok:
                valid, passing = True, i
        if not valid:
            errors += found
            errors.append(_error(ip, sp + "/oneOf", "oneOf", {"passingSchemas": passing},
                                 "must match exactly one schema in oneOf"))

    def k_allOf(self, s, v, ip, sp, errors):
        for i, sub in enumerate(s["allOf"]):
            self.run(sub, v, ip, f"{sp}/allOf/{i}", errors)

    def k_if(self, s, v, ip, sp, errors):
        branch = "then" if self._sub(s["if"], v, ip, sp + "/if")[0] else "else"
        if branch not in s:
            return
        ok, errs = self._sub(s[branch], v, ip, f"{sp}/{branch}")
        if not ok:
            errors += errs
            errors.append(_error(ip, sp + "/if", "if", {"failingKeyword": branch}, f'must match "{branch}" schema'))

    # number
    def _limit(self, key, s, v, ip, sp, errors):
        limit = s[key]
        ok = {"maximum": v <= limit, "minimum": v >= limit, "exclusiveMaximum": v < limit,
              "exclusiveMinimum": v > limit}[key]
        if not ok:
            errors.append(_error(ip, f"{sp}/{key}", key, {"comparison": COMPARISON[key], "limit": limit},
                                 f"must be {COMPARISON[key]} {_text(limit)}"))

    def k_maximum(self, *a):
        self._limit("maximum", *a)

    def k_minimum(self, *a):
        self._limit("minimum", *a)

    def k_exclusiveMaximum(self, *a):
        self._limit("exclusiveMaximum", *a)

    def k_exclusiveMinimum(self, *a):
        self._limit("exclusiveMinimum", *a)

    def k_multipleOf(self, s, v, ip, sp, errors):
        m = s["multipleOf"]
        try:
            ok = (v / m) % 1 == 0
        except (OverflowError, ValueError):
            ok = False
        if not ok:
            errors.append(_error(ip, sp + "/multipleOf", "multipleOf", {"multipleOf": m},
                                 f"must be multiple of {_text(m)}"))

    # counts: strings, arrays, objects
    def _count(self, key, size, noun, s, ip, sp, errors):
        limit = s[key]
        more = key.startswith("max")
        if (size > limit) if more else (size < limit):
            errors.append(_error(ip, f"{sp}/{key}", key, {"limit": limit},
                                 f"must NOT have {'more' if more else 'fewer'} than {_text(limit)} {noun}"))

    def k_maxLength(self, s, v, ip, sp, errors):
        self._count("maxLength", len(v), "characters", s, ip, sp, errors)

    def k_minLength(self, s, v, ip, sp, errors):
        self._count("minLength", len(v), "characters", s, ip, sp, errors)

    def k_pattern(self, s, v, ip, sp, errors):
        if not _regex(s["pattern"]).search(v):
            errors.append(_error(ip, sp + "/pattern", "pattern", {"pattern": s["pattern"]},
                                 f'must match pattern "{s["pattern"]}"'))

    def k_maxItems(self, s, v, ip, sp, errors):
        self._count("maxItems", len(v), "items", s, ip, sp, errors)

    def k_minItems(self, s, v, ip, sp, errors):
        self._count("minItems", len(v), "items", s, ip, sp, errors)

    def k_maxProperties(self, s, v, ip, sp, errors):
        self._count("maxProperties", len(v), "properties", s, ip, sp, errors)

    def k_minProperties(self, s, v, ip, sp, errors):
        self._count("minProperties", len(v), "properties", s, ip, sp, errors)

    # arrays
    def k_additionalItems(self, s, v, ip, sp, errors):
        items, extra = s.get("items"), s["additionalItems"]
        if not isinstance(items, list) or extra is True:
            return
        if extra is False:
            if len(v) > len(items):
                errors.append(_error(ip, sp + "/additionalItems", "additionalItems", {"limit": len(items)},
                                     f"must NOT have more than {len(items)} items"))
            return
        for i in range(len(items), len(v)):
            self.run(extra, v[i], f"{ip}/{i}", sp + "/additionalItems", errors)

    def k_items(self, s, v, ip, sp, errors):
        items = s["items"]
        if isinstance(items, list):
            for i, sub in enumerate(items[:len(v)]):
                self.run(sub, v[i], f"{ip}/{i}", f"{sp}/items/{i}", errors)
        else:
            for i, item in enumerate(v):
                self.run(items, item, f"{ip}/{i}", sp + "/items", errors)

    def k_contains(self, s, v, ip, sp, errors):
        found: list[dict] = []
        for i, item in enumerate(v):
            ok, errs = self._sub(s["contains"], item, f"{ip}/{i}", sp + "/contains")
            if ok:
                return
            found += errs
        errors += found
        errors.append(_error(ip, sp + "/contains", "contains", {"minContains": 1},
                             "must contain at least 1 valid item(s)"))

    def k_uniqueItems(self, s, v, ip, sp, errors):
        if s["uniqueItems"] is not True:
            return
        pair = _duplicate(s, v)
        if pair is not None:
            i, j = pair
            errors.append(_error(ip, sp + "/uniqueItems", "uniqueItems", {"i": i, "j": j},
                                 f"must NOT have duplicate items (items ## {j} and {i} are identical)"))

    # objects
    def k_required(self, s, v, ip, sp, errors):
        for name in s["required"]:
            if name not in v:
                errors.append(_error(ip, sp + "/required", "required", {"missingProperty": name},
                                     f"must have required property '{name}'"))

    def k_propertyNames(self, s, v, ip, sp, errors):
        for name in v:
            ok, errs = self._sub(s["propertyNames"], name, ip, sp + "/propertyNames")
            if not ok:
                errors += [{**e, "propertyName": name} for e in errs]
                errors.append(_error(ip, sp + "/propertyNames", "propertyNames", {"propertyName": name},
                                     "property name must be valid"))

    def k_additionalProperties(self, s, v, ip, sp, errors):
        extra = s["additionalProperties"]
        if extra is True:
            return
        known = s.get("properties") or {}
        patterns = [_regex(p) for p in (s.get("patternProperties") or {})]
        for name in v:
            if name in known or any(p.search(name) for p in patterns):
                continue
            if extra is False:
                errors.append(_error(ip, sp + "/additionalProperties", "additionalProperties",
                                     {"additionalProperty": name}, "must NOT have additional properties"))
            else:
                self.run(extra, v[name], f"{ip}/{_pointer(name)}", sp + "/additionalProperties", errors)

    def k_dependencies(self, s, v, ip, sp, errors):
        deps = s["dependencies"]
        for name, needed in deps.items():
            if isinstance(needed, list) and name in v:
                listed = ", ".join(needed)
                noun = "property" if len(needed) == 1 else "properties"
                for missing in needed:
                    if missing not in v:
                        errors.append(_error(ip, sp + "/dependencies", "dependencies",
                                             {"property": name, "missingProperty": missing,
                                              "depsCount": len(needed), "deps": listed},
                                             f"must have {noun} {listed} when property {name} is present"))
        for name, sub in deps.items():
            if not isinstance(sub, list) and name in v:
                self.run(sub, v, ip, f"{sp}/dependencies/{_fragment(name)}", errors)

    def k_properties(self, s, v, ip, sp, errors):
        for name, sub in s["properties"].items():
            if name in v:
                self.run(sub, v[name], f"{ip}/{_pointer(name)}", f"{sp}/properties/{_fragment(name)}", errors)

    def k_patternProperties(self, s, v, ip, sp, errors):
        for pattern, sub in s["patternProperties"].items():
            regex = _regex(pattern)
            for name in v:
                if regex.search(name):
                    self.run(sub, v[name], f"{ip}/{_pointer(name)}", f"{sp}/patternProperties/{_fragment(pattern)}",
                             errors)


def _duplicate(schema: dict, items: Any) -> tuple[int, int] | None:
    """ajv's uniqueItems search: ``(i, j)`` of the first duplicate it meets, or None. When the
    items' schema names only scalar types, ajv remembers each value from the end (``j`` is
    the later index); otherwise it compares every pair from the end (``j`` < ``i``)."""
    item_schema = schema.get("items")
    types = item_schema.get("type") if isinstance(item_schema, dict) else None
    types = [] if types is None else (types if isinstance(types, list) else [types])
    if types and not any(t in ("object", "array") for t in types):
        seen: dict[tuple[str, Any], int] = {}
        for i in range(len(items) - 1, -1, -1):
            item = items[i]
            if not any(_has_type(t, item) for t in types):
                continue
            key = ("s" if isinstance(item, str) else type(item).__name__ if type(item) is bool else "v", item)
            if key in seen:
                return i, seen[key]
            seen[key] = i
        return None
    for i in range(len(items) - 1, 0, -1):
        for j in range(i - 1, -1, -1):
            if _equal(items[i], items[j]):
                return i, j
    return None


def _error(ipath: str, spath: str, keyword: str, params: dict, message: str) -> dict:
    return {"instancePath": ipath, "schemaPath": spath, "keyword": keyword, "params": params, "message": message}
