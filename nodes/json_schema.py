"""JSON Schema validation as the json node of Node-RED does it (ajv 8, ``allErrors``, draft-07,
strict mode, no formats), on the ``jsonschema`` library.

``compile_schema(schema)`` rejects what ajv's ``compile`` rejects and returns a validator; the
validator returns ajv's error objects (``{instancePath, schemaPath, keyword, params, message}``)
in ajv's order, and ``errors_text`` joins them as ``ajv.errorsText`` does (``data/price must be
number, data must have required property 'kind'``).

jsonschema does the validating (Draft7Validator's keywords, evaluated in ajv's keyword order);
this module only words its ValidationErrors as ajv's and adds the few error objects ajv has and
jsonschema has not (one per missing property or extra property, ``anyOf``'s and ``contains``'
sub-errors, ``if``'s ``must match "then" schema``). Compile failures: the schema is checked
against the draft-07 meta-schema made strict as ajv is (unknown keywords, ``format``, ``id``,
``nullable`` without ``type``, a ``$schema`` other than draft-07/06, an empty ``enum``, invalid
regular expressions) and every ``$ref`` must resolve within the schema.
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
NOUNS = {"Length": "characters", "Items": "items", "Properties": "properties"}
META_SCHEMAS = [f"http://json-schema.org/{d}schema{h}" for d in ("draft-07/", "draft-06/", "") for h in ("", "#")]


def _strict_meta_schema() -> dict:
    """Draft-07's meta-schema as ajv's strict mode applies it: only known keywords, no ``format``."""
    meta = copy.deepcopy(Draft7Validator.META_SCHEMA)
    meta["$id"] = "urn:flowred:ajv-strict-draft-07"
    props = meta["properties"]
    del props["format"]
    props["$schema"] = {"enum": META_SCHEMAS}
    props["enum"]["minItems"] = 1
    props["$defs"] = props["definitions"]
    props.update(dict.fromkeys(("$async", "$vocabulary", "deprecated", "writeOnly", "contentSchema"), True))
    props["nullable"] = {"type": "boolean"}
    meta.update(additionalProperties=False, dependencies={"nullable": ["type"]})
    return meta


JS_REGEX = FormatChecker(())
JS_REGEX.checks("regex", raises=NodeError)(js_regex)
STRICT = Draft7Validator(_strict_meta_schema(), format_checker=JS_REGEX)


def _ajv_order(schema: dict) -> list[tuple[str, Any]]:
    """The schema's keywords in ajv's order. A ``type`` naming one type whose keyword group the
    schema uses is checked where that group is (ajv skips the group and reports the type there)."""
    t = schema.get("type")
    t = t[0] if isinstance(t, list) and len(t) == 1 else t
    in_group = next((g for g, keys in GROUPS if g == t and any(k in schema for k in keys)), None)
    order = [] if in_group else ["type"]
    order += UNTYPED
    for group, keys in GROUPS:
        order += ["type", *keys] if group == in_group else keys
    return [(k, schema[k]) for k in order if k in schema]


def _ajv_error(message: str, params: dict, keyword: str) -> ValidationError:
    error = ValidationError(message, validator=keyword)
    error.ajv_params = params
    return error


KEYWORDS = Draft7Validator.VALIDATORS


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
    errors = list(KEYWORDS["dependencies"](validator, deps, instance, schema))
    nested = [e for e in errors if e.schema_path]  # the schema dependencies' (before any is yielded)
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
        else:
            yield _ajv_error("must NOT have additional properties", {"additionalProperty": name},
                             "additionalProperties")


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
        yield _ajv_error("must contain at least 1 valid item(s)", {"minContains": 1}, "contains")


def _property_names(validator, names, instance, schema):
    for name in instance if validator.is_type(instance, "object") else ():
        errors = list(validator.descend(name, names))
        yield from errors
        if errors:
            yield _ajv_error("property name must be valid", {"propertyName": name}, "propertyNames")


def _pattern(validator, pattern, instance, schema):
    """JavaScript's regular expressions, as ajv's (``u`` flag aside)."""
    if validator.is_type(instance, "string") and not js_regex(pattern).search(instance):
        yield _ajv_error(f'must match pattern "{pattern}"', {"pattern": pattern}, "pattern")


class _Ref(str):
    """A ``$ref`` in an error's schema path: ajv's schemaPath restarts there, at the ref as written."""


def _ref(validator, ref, instance, schema):
    for error in KEYWORDS["$ref"](validator, ref, instance, schema):
        error.schema_path.appendleft(_Ref(ref))
        yield error


def _if(validator, if_schema, instance, schema):
    errors = list(KEYWORDS["if"](validator, if_schema, instance, schema))
    yield from errors
    if errors:
        branch = errors[0].schema_path[0]
        yield _ajv_error(f'must match "{branch}" schema', {"failingKeyword": branch}, "if")


AjvDraft7 = validators.create(
    meta_schema=Draft7Validator.META_SCHEMA,
    validators={**KEYWORDS, "type": _type, "required": _required, "dependencies": _dependencies, "if": _if,
                "pattern": _pattern, "$ref": _ref, "patternProperties": _pattern_properties, "contains": _contains,
                "additionalProperties": _additional_properties, "propertyNames": _property_names},
    type_checker=Draft7Validator.TYPE_CHECKER,
    applicable_validators=_ajv_order,
)


def _check_refs(resolver, resource) -> None:
    """Every ``$ref`` of the schema and its subschemas resolves (ajv resolves them at compile)."""
    contents = resource.contents
    if isinstance(contents, dict) and "$ref" in contents:
        resolver.lookup(contents["$ref"])
    for sub in resource.subresources():
        _check_refs(resolver.in_subresource(sub), sub)


def compile_schema(schema: Any) -> Callable[[Any], list[dict]]:
    """A validator for ``schema``: ``validate(value) -> errors`` (empty when valid), ajv's error
    objects in ajv's order. SchemaCompileError for a schema ajv's compile rejects."""
    problem = next(STRICT.iter_errors(schema), None)
    if problem is not None:
        raise SchemaCompileError(f"schema is invalid: {problem.message}")
    resource = DRAFT7.create_resource(schema)
    registry = SPECIFICATIONS.with_resource(resource.id() or "", resource)
    try:
        _check_refs(registry.resolver(resource.id() or ""), resource)
    except Unresolvable as exc:
        raise SchemaCompileError(f"can't resolve reference {exc.ref}") from None
    validator = AjvDraft7(schema, registry=registry)

    def validate(value: Any) -> list[dict]:
        try:
            return [e for error in validator.iter_errors(value) for e in _to_ajv(validator, error)]
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


def _to_ajv(validator, error: ValidationError) -> list[dict]:
    """ajv's error objects for one jsonschema error: ``anyOf``/``oneOf`` sub-errors first."""
    keyword, value = error.validator, error.validator_value
    parts = list(error.absolute_schema_path)
    ref = max((i for i, p in enumerate(parts) if isinstance(p, _Ref)), default=None)
    spath = "#" if ref is None else parts[ref]
    spath += "".join("/" + quote(_pointer(p), safe="-_.!~*'()") for p in parts[ref + 1 if ref is not None else 0:])
    found = [e for sub in error.context for e in _to_ajv(validator, sub)]
    params, message = getattr(error, "ajv_params", None), error.message
    if keyword is None:
        keyword, params, message = "false schema", {}, "boolean schema is false"
        spath += "/false schema"
    elif params is not None:
        pass
    elif keyword == "type":
        params, message = {"type": value}, f"must be {','.join(value) if isinstance(value, list) else value}"
    elif keyword in COMPARISON:
        params = {"comparison": COMPARISON[keyword], "limit": value}
        message = f"must be {COMPARISON[keyword]} {_text(value)}"
    elif keyword[3:] in NOUNS:
        more = keyword.startswith("max")
        params = {"limit": value}
        message = f"must NOT have {'more' if more else 'fewer'} than {_text(value)} {NOUNS[keyword[3:]]}"
    elif keyword == "additionalItems":
        limit = len(error.schema["items"])
        params, message = {"limit": limit}, f"must NOT have more than {limit} items"
    elif keyword == "uniqueItems":
        i, j = _duplicate(validator, error.schema, error.instance)
        params, message = {"i": i, "j": j}, f"must NOT have duplicate items (items ## {j} and {i} are identical)"
    elif keyword == "oneOf":
        passing = [i for i, s in enumerate(value) if validator.evolve(schema=s).is_valid(error.instance)][:2]
        params = {"passingSchemas": passing or None}
        message = "must match exactly one schema in oneOf"
    else:
        params, message = {
            "const": ({"allowedValue": value}, "must be equal to constant"),
            "enum": ({"allowedValues": value}, "must be equal to one of the allowed values"),
            "not": ({}, "must NOT be valid"),
            "anyOf": ({}, "must match a schema in anyOf"),
            "multipleOf": ({"multipleOf": value}, f"must be multiple of {_text(value)}"),
        }.get(keyword, ({}, message))
    ipath = "".join("/" + _pointer(p) for p in error.absolute_path)
    return [*found, {"instancePath": ipath, "schemaPath": spath, "keyword": keyword, "params": params,
                     "message": message}]


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
