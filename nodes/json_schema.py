"""JSON Schema validation as the json node of Node-RED does it (ajv 8, ``allErrors``, draft-07,
strict mode, no formats), on the ``jsonschema`` library: its Draft-07 keywords, run in ajv's
keyword order, with JavaScript regular expressions. This module words the errors as ajv's
(``{instancePath, schemaPath, keyword, params, message}``; ``errors_text`` as ``ajv.errorsText``:
``data/price must be number``) and adds those ajv has and jsonschema has not (one per missing or
extra property, ``anyOf``'s and ``contains``' sub-errors, ``must match "then" schema``). What
ajv's compile rejects is rejected by the draft-07 meta-schema made strict as ajv (unknown
keywords, ``format``, ``id``, ``nullable`` without ``type``, another ``$schema``, empty or
repeating ``enum``, bad regex), applied to the schema and to what its ``$ref``s reach (ajv leaves
unreferenced definitions alone), or by a ``$ref`` that does not resolve within the schema.
"""
from __future__ import annotations

import copy
from typing import Any, Callable
from urllib.parse import quote

from jsonschema import Draft7Validator, FormatChecker, ValidationError, validators
from jsonschema_specifications import REGISTRY as SPECIFICATIONS
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT7

from flowred import NodeError
from flowred.jscompat import js_number_text, js_regex

__all__ = ["SchemaCompileError", "compile_schema", "errors_text"]


class SchemaCompileError(Exception):
    """The schema is one ajv's ``compile`` throws on; the message says why."""


# ajv's evaluation order: the untyped keywords, then one group per data type
UNTYPED = ("$ref", "const", "enum", "not", "anyOf", "oneOf", "allOf", "if")
GROUPS = (
    ("number", ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf")),
    ("string", ("maxLength", "minLength", "pattern")),
    ("array", ("maxItems", "minItems", "additionalItems", "items", "contains", "uniqueItems")),
    ("object", ("maxProperties", "minProperties", "required", "propertyNames", "additionalProperties",
                "dependencies", "properties", "patternProperties")),
)
COMPARISON = {"maximum": "<=", "minimum": ">=", "exclusiveMaximum": "<", "exclusiveMinimum": ">"}
# ajv's params key and message for the keywords whose one param is the keyword's value
WORDING = {"type": ("type", "must be {}"), "const": ("allowedValue", "must be equal to constant"),
           "enum": ("allowedValues", "must be equal to one of the allowed values"), "not": (None, "must NOT be valid"),
           "anyOf": (None, "must match a schema in anyOf"), "multipleOf": ("multipleOf", "must be multiple of {}"),
           **{f"{m}{k}": ("limit", f"must NOT have {more} than {{}} {noun}")
              for m, more in (("max", "more"), ("min", "fewer"))
              for k, noun in (("Length", "characters"), ("Items", "items"), ("Properties", "properties"))}}
META_SCHEMAS = [f"http://json-schema.org/{d}schema{h}" for d in ("draft-07/", "draft-06/", "") for h in ("", "#")]


# draft-07's meta-schema as ajv's strict mode applies it: only known keywords, no format
STRICT_META = copy.deepcopy(Draft7Validator.META_SCHEMA)
STRICT_META.update({"$id": "urn:flowred:ajv-strict-draft-07", "additionalProperties": False, "dependencies": {
    "nullable": ["type"], "additionalItems": {"properties": {"items": {"type": "array"}}, "required": ["items"]}}})
_props = STRICT_META["properties"]
del _props["format"]
_props["enum"].update(minItems=1, uniqueItems=True)
_props.update(dict.fromkeys(("$async", "$vocabulary", "deprecated", "writeOnly", "contentSchema"), True),
              **{"$schema": {"enum": META_SCHEMAS}, "nullable": {"type": "boolean"}})
# ajv compiles a definition only when a $ref reaches it (then it is checked as a schema of its own)
_props["definitions"] = _props["$defs"] = {"type": "object", "additionalProperties": {"type": ["object", "boolean"]}}
JS_REGEX = FormatChecker(())
JS_REGEX.checks("regex", raises=NodeError)(js_regex)
STRICT = Draft7Validator(STRICT_META, format_checker=JS_REGEX)
KEYWORDS = Draft7Validator.VALIDATORS


def _ajv_order(schema: dict) -> list[tuple[str, Any]]:
    """The schema's keywords in ajv's order. A ``type`` naming one type whose keyword group the
    schema uses is checked where that group is (ajv skips the group and reports the type there)."""
    t = schema.get("type")
    t = t[0] if isinstance(t, list) and len(t) == 1 else t
    in_group = next((g for g, keys in GROUPS if g == t and any(k in schema for k in keys)), None)
    order = [*([] if in_group else ["type"]), *UNTYPED]
    for group, keys in GROUPS:
        order += ["type", *keys] if group == in_group else keys
    return [(k, schema[k]) for k in order if k in schema]


def _ajv_error(keyword: str, params: dict, message: str, **details: Any) -> ValidationError:
    error = ValidationError(message, validator=keyword, **details)
    error.ajv_params = params
    return error


def _type(validator, types, instance, schema):
    if not (instance is None and schema.get("nullable") is True):
        yield from KEYWORDS["type"](validator, types, instance, schema)


def _required(validator, required, instance, schema):
    missing = [name for name in required if validator.is_type(instance, "object") and name not in instance]
    for name, error in zip(missing, KEYWORDS["required"](validator, required, instance, schema), strict=True):
        error.ajv_params = {"missingProperty": name}
        error.message = f"must have required property '{name}'"
        yield error


def _dependencies(validator, deps, instance, schema):
    """ajv reports every missing listed property first, then the schema dependencies' errors."""
    if not validator.is_type(instance, "object"):
        return
    errors = list(KEYWORDS["dependencies"](validator, deps, instance, schema))
    nested = [e for e in errors if e.schema_path]  # the schema dependencies' (taken before any is yielded)
    missing = [(name, needed, each) for name, needed in deps.items() if isinstance(needed, list) and name in instance
               for each in needed if each not in instance]
    for (name, needed, each), error in zip(missing, [e for e in errors if not e.schema_path], strict=True):
        listed, noun = ", ".join(needed), "property" if len(needed) == 1 else "properties"
        error.ajv_params = {"property": name, "missingProperty": each, "depsCount": len(needed), "deps": listed}
        error.message = f"must have {noun} {listed} when property {name} is present"
        yield error
    yield from nested


def _additional_properties(validator, extra, instance, schema):
    """One error per additional property, in the data's order, as ajv."""
    if not validator.is_type(instance, "object") or extra is True:
        return
    known, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    for name in instance:
        if name in known or any(js_regex(p).search(name) for p in patterns):
            continue
        if extra is not False:
            yield from validator.descend(instance[name], extra, path=name)
            continue
        yield _ajv_error("additionalProperties", {"additionalProperty": name}, "must NOT have additional properties")


def _pattern_properties(validator, patterns, instance, schema):
    for pattern, sub in patterns.items() if validator.is_type(instance, "object") else ():
        for name in instance:
            if js_regex(pattern).search(name):
                yield from validator.descend(instance[name], sub, path=name, schema_path=pattern)


def _contains(validator, contains, instance, schema):
    errors = list(KEYWORDS["contains"](validator, contains, instance, schema))
    if errors:
        for i, item in enumerate(instance):
            yield from validator.descend(item, contains, path=i)
        yield _ajv_error("contains", {"minContains": 1}, "must contain at least 1 valid item(s)")


def _property_names(validator, names, instance, schema):
    for name in instance if validator.is_type(instance, "object") else ():
        errors = list(validator.descend(name, names))
        for error in errors:
            error.ajv_property_name = name
            yield error
        if errors:
            yield _ajv_error("propertyNames", {"propertyName": name}, "property name must be valid")


def _pattern(validator, pattern, instance, schema):
    """JavaScript's regular expressions, as ajv's (``u`` flag aside)."""
    if validator.is_type(instance, "string") and not js_regex(pattern).search(instance):
        yield _ajv_error("pattern", {"pattern": pattern}, f'must match pattern "{pattern}"')


class _Ref(str):
    """A ``$ref`` in an error's schema path: ajv's schemaPath restarts there (at the ref as written
    when ajv inlines its target, one without ``$ref``; else at ``#``, the target compiled apart)."""


def _ref(validator, ref, instance, schema):
    for error in KEYWORDS["$ref"](validator, ref, instance, schema):
        error.schema_path.appendleft(_Ref(ref))
        yield error


def _one_of(validator, one_of, instance, schema):
    """ajv's oneOf error: after the errors of the subschemas it tried (up to a second passing one)."""
    if next(KEYWORDS["oneOf"](validator, one_of, instance, schema), None) is None:
        return
    found, passing = [], []
    for i, sub in enumerate(one_of):
        errors = list(validator.descend(instance, sub, schema_path=i))
        found, passing = found + errors, passing if errors else passing + [i]
        if len(passing) == 2:
            break
    yield _ajv_error("oneOf", {"passingSchemas": passing if len(passing) == 2 else None},
                     "must match exactly one schema in oneOf", context=found)


def _if(validator, if_schema, instance, schema):
    errors = list(KEYWORDS["if"](validator, if_schema, instance, schema))
    yield from errors
    if errors:  # the branch is the first schema path entry ("then"/"else"; jsonschema adds no "if")
        branch = errors[0].schema_path[0]
        yield _ajv_error("if", {"failingKeyword": branch}, f'must match "{branch}" schema', schema_path=["if"])


AjvDraft7 = validators.create(
    meta_schema=Draft7Validator.META_SCHEMA,
    validators={**KEYWORDS, "type": _type, "required": _required, "dependencies": _dependencies, "if": _if,
                "pattern": _pattern, "$ref": _ref, "patternProperties": _pattern_properties, "contains": _contains,
                "additionalProperties": _additional_properties, "propertyNames": _property_names,
                "oneOf": _one_of},
    type_checker=Draft7Validator.TYPE_CHECKER,
    applicable_validators=_ajv_order,
)
_descend = AjvDraft7.descend


def _descend_keeping_paths(self, instance, schema, path=None, schema_path=None, resolver=None):
    """jsonschema's descend, with the paths it leaves off a ``false`` subschema's error."""
    for error in _descend(self, instance, schema, path, schema_path, resolver):
        if schema is False:
            error.path.extendleft([] if path is None else [path])
            error.schema_path.extendleft([] if schema_path is None else [schema_path])
        yield error


AjvDraft7.descend = _descend_keeping_paths


def _strict(schema: Any) -> None:
    problem = next(STRICT.iter_errors(schema), None)
    if problem is not None:
        raise SchemaCompileError(f"schema is invalid: {problem.message}")


def _has_ref(value: Any) -> bool:
    if isinstance(value, dict):
        return "$ref" in value or any(_has_ref(v) for v in value.values())
    return isinstance(value, list) and any(_has_ref(v) for v in value)


def _compile_refs(resolver, resource, roots: dict[str, str]) -> None:
    """What ajv's compile does with ``$ref``s, from ``resource`` down (skipping definitions, which
    ajv compiles only when referenced): each must resolve (Unresolvable) and reach a schema that
    passes the strict check (SchemaCompileError). ``roots`` gets each ref's schemaPath root."""
    contents = resource.contents
    if isinstance(contents, dict) and "$ref" in contents and contents["$ref"] not in roots:
        target = resolver.lookup(contents["$ref"])
        _strict(target.contents)
        roots[contents["$ref"]] = "#" if _has_ref(target.contents) else contents["$ref"]
        _compile_refs(target.resolver, DRAFT7.create_resource(target.contents), roots)
    skip = [d for key in ("definitions", "$defs") for d in (contents.get(key) or {}).values()] \
        if isinstance(contents, dict) else []
    for sub in resource.subresources():
        if isinstance(sub.contents, dict) and not any(sub.contents is d for d in skip):
            _compile_refs(resolver.in_subresource(sub), sub, roots)


def compile_schema(schema: Any) -> Callable[[Any], list[dict]]:
    """A validator for ``schema``: ``validate(value) -> errors`` (empty when valid), ajv's error
    objects in ajv's order. SchemaCompileError for a schema ajv's compile rejects."""
    _strict(schema)
    resource = DRAFT7.create_resource(schema)
    registry = SPECIFICATIONS.with_resource(resource.id() or "", resource)
    roots: dict[str, str] = {}
    try:
        _compile_refs(registry.resolver(resource.id() or ""), resource, roots)
    except Unresolvable as exc:
        raise SchemaCompileError(f"can't resolve reference {exc.ref}") from None
    validator = AjvDraft7(schema, registry=registry)

    def validate(value: Any) -> list[dict]:
        try:
            return [e for error in validator.iter_errors(value) for e in _to_ajv(validator, error, roots)]
        except RecursionError:
            raise NodeError("JSON Schema error: Maximum call stack size exceeded") from None

    return validate


def errors_text(errors: list[dict]) -> str:
    """The errors as ``ajv.errorsText`` writes them: ``data<instancePath> <message>``, joined by ", "."""
    return ", ".join(f"data{e['instancePath']} {e['message']}" for e in errors)


def _pointer(key: Any) -> str:
    """One JSON pointer segment (``~`` → ``~0``, ``/`` → ``~1``)."""
    return str(key).replace("~", "~0").replace("/", "~1")


def _text(v: Any) -> str:
    return js_number_text(v) if type(v) in (int, float) else str(v)


def _to_ajv(validator, error: ValidationError, roots: dict[str, str]) -> list[dict]:
    """ajv's error objects for one jsonschema error, its ``anyOf``/``oneOf`` sub-errors first."""
    keyword, value, params, message = error.validator, error.validator_value, getattr(error, "ajv_params", {}), None
    parts = list(error.absolute_schema_path)
    ref = max((i + 1 for i, p in enumerate(parts) if isinstance(p, _Ref)), default=0)
    spath = roots.get(parts[ref - 1], "#") if ref else "#"
    spath += "".join("/" + quote(_pointer(p), safe="-_.!~*'()") for p in parts[ref:])
    if keyword is None:
        keyword, message, spath = "false schema", "boolean schema is false", spath + "/false schema"
    elif keyword in WORDING:
        key, text = WORDING[keyword]
        params = {key: value} if key else {}
        message = text.format(",".join(map(str, value)) if isinstance(value, list) else _text(value))
    elif keyword in COMPARISON:
        params = {"comparison": COMPARISON[keyword], "limit": value}
        message = f"must be {COMPARISON[keyword]} {_text(value)}"
    elif keyword == "additionalItems":
        params = {"limit": len(error.schema["items"])}
        message = f"must NOT have more than {params['limit']} items"
    elif keyword == "uniqueItems":
        i, j = _duplicate(validator, error.schema, error.instance)
        if i < 0:  # the duplicates are not of the item types: ajv's search skips them
            return []
        params, message = {"i": i, "j": j}, f"must NOT have duplicate items (items ## {j} and {i} are identical)"
    ajv = {"instancePath": "".join("/" + _pointer(p) for p in error.absolute_path), "schemaPath": spath,
           "keyword": keyword, "params": params, "message": message or error.message}
    if hasattr(error, "ajv_property_name"):
        ajv["propertyName"] = error.ajv_property_name
    return [*(e for sub in error.context for e in _to_ajv(validator, sub, roots)), ajv]


def _duplicate(validator, schema: dict, items: list) -> tuple[int, int]:
    """ajv's uniqueItems search: ``(i, j)`` of the first duplicate it meets, ``i`` from the end.
    When the items' schema names only scalar types, ajv looks for ``j`` after ``i`` among the
    items of those types; otherwise before it, from ``i - 1`` down."""
    item_schema = schema.get("items")
    types = item_schema.get("type", []) if isinstance(item_schema, dict) else []
    types = types if isinstance(types, list) else [types]
    scalar = bool(types) and not {"object", "array"} & set(types)
    for i in range(len(items) - 1, -1, -1):
        for j in range(i + 1, len(items)) if scalar else range(i - 1, -1, -1):
            if (not scalar or all(any(validator.is_type(items[k], t) for t in types) for k in (i, j))) \
                    and validator.evolve(schema={"const": items[i]}).is_valid(items[j]):
                return i, j
    return -1, -1
