"""The json node's JSON Schema validation (flowred.nodes.json_schema) against ajv 8.20 as
Node-RED 5.0.7 runs it (allErrors, draft-07): each row is a schema, a value and the text
``ajv.errorsText`` gave for them on Node-RED's ajv (None: ajv's compile threw)."""
# the rows are ajv's texts, each kept on one line
# ruff: noqa: E501
from __future__ import annotations

import json

import pytest

from flowred.nodes.json_schema import SchemaCompileError, compile_schema, errors_text

AJV = [
    ('{"type": "object", "properties": {"price": {"type": "number"}}}',
     '{"price": "x"}',
     'data/price must be number'),
    ('{"type": "string", "format": "email"}',
     '"a"',
     None),
    ('{"type": "number", "minimum": 0, "enum": [1]}',
     '"x"',
     'data must be equal to one of the allowed values, data must be number'),
    ('{"type": "number", "enum": [1]}',
     '"x"',
     'data must be number, data must be equal to one of the allowed values'),
    ('{"type": "object", "required": ["a", "b"], "additionalProperties": false, "properties": {"c": {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^z"}}, "minProperties": 5}',
     '{"c": "yyyy", "d": 1, "e": 2}',
     'data must NOT have fewer than 5 properties, data must have required property \'a\', data must have required property \'b\', data must NOT have additional properties, data must NOT have additional properties, data/c must NOT have more than 3 characters, data/c must match pattern "^z"'),
    ('{"type": ["string", "number"]}',
     'null',
     'data must be string,number'),
    ('{"anyOf": [{"type": "string"}, {"minimum": 3}]}',
     '1',
     'data must be string, data must be >= 3, data must match a schema in anyOf'),
    ('{"oneOf": [{"type": "number"}, {"minimum": 3}]}',
     '4',
     'data must match exactly one schema in oneOf'),
    ('{"items": {"type": "string"}, "uniqueItems": true, "minItems": 5, "contains": {"const": 7}}',
     '["a", "a", 1]',
     'data must NOT have fewer than 5 items, data/2 must be string, data/0 must be equal to constant, data/1 must be equal to constant, data/2 must be equal to constant, data must contain at least 1 valid item(s), data must NOT have duplicate items (items ## 1 and 0 are identical)'),
    ('{"dependencies": {"a": ["b", "c"]}, "propertyNames": {"maxLength": 2}}',
     '{"a": 1, "xyz": 2}',
     'data must NOT have more than 2 characters, data property name must be valid, data must have properties b, c when property a is present, data must have properties b, c when property a is present'),
    ('{"if": {"type": "number"}, "then": {"multipleOf": 2}, "else": {"not": {"type": "string"}}}',
     '3',
     'data must be multiple of 2, data must match "then" schema'),
    ('{"definitions": {"p": {"type": "integer", "exclusiveMaximum": 3}}, "properties": {"a/b~": {"$ref": "#/definitions/p"}}}',
     '{"a/b~": 3.5}',
     'data/a~1b~0 must be integer, data/a~1b~0 must be < 3'),
    ('false',
     '1',
     'data boolean schema is false'),
    ('{"items": [{"type": "string"}], "additionalItems": false, "maxItems": 1}',
     '[1, 2]',
     'data must NOT have more than 1 items, data must NOT have more than 1 items, data/0 must be string'),
    ('{"type": "object", "properties": {"a": {"type": "number"}}, "required": ["a"]}',
     '{"a": "x"}',
     'data/a must be number'),
    ('{"maxItems": 1, "minItems": 5, "additionalItems": false, "items": [{"type": "string"}], "contains": {"const": 9}, "uniqueItems": true}',
     '[1, 1]',
     'data must NOT have more than 1 items, data must NOT have fewer than 5 items, data must NOT have more than 1 items, data/0 must be string, data/0 must be equal to constant, data/1 must be equal to constant, data must contain at least 1 valid item(s), data must NOT have duplicate items (items ## 0 and 1 are identical)'),
    ('{"maxProperties": 1, "minProperties": 9, "required": ["z"], "dependencies": {"a": ["q"]}, "propertyNames": {"maxLength": 1}, "additionalProperties": false, "properties": {"a": {"type": "string"}}, "patternProperties": {"^b": {"type": "string"}}}',
     '{"a": 1, "bb": 2, "cc": 3}',
     "data must NOT have more than 1 properties, data must NOT have fewer than 9 properties, data must have required property 'z', data must NOT have more than 1 characters, data property name must be valid, data must NOT have more than 1 characters, data property name must be valid, data must NOT have additional properties, data must have property q when property a is present, data/a must be string, data/bb must be string"),
    ('{"definitions": {"x": {"type": "string"}}, "allOf": [{"type": "string"}], "oneOf": [{"type": "string"}], "anyOf": [{"type": "string"}], "not": {"type": "number"}, "enum": ["a"], "const": "a", "$ref": "#/definitions/x", "if": {"type": "number"}, "then": {"type": "string"}}',
     '1',
     'data must be string, data must be equal to constant, data must be equal to one of the allowed values, data must NOT be valid, data must be string, data must match a schema in anyOf, data must be string, data must match exactly one schema in oneOf, data must be string, data must be string, data must match "then" schema'),
    ('{"uniqueItems": true}',
     '[[1], 2, [1], 2]',
     'data must NOT have duplicate items (items ## 1 and 3 are identical)'),
    ('{"items": {"type": "number"}, "uniqueItems": true}',
     '[1, 2, 1, 2]',
     'data must NOT have duplicate items (items ## 3 and 1 are identical)'),
    ('{"properties": {"a/b~ c": {"type": "string"}}}',
     '{"a/b~ c": 1}',
     'data/a~1b~0 c must be string'),
    ('{"maximum": 3, "minimum": 5, "exclusiveMaximum": 2, "exclusiveMinimum": 6, "multipleOf": 7}',
     '4',
     'data must be <= 3, data must be >= 5, data must be < 2, data must be > 6, data must be multiple of 7'),
    ('{"dependencies": {"a": ["b"], "c": {"required": ["d"]}}}',
     '{"a": 1, "c": 2}',
     "data must have property b when property a is present, data must have required property 'd'"),
    ('{"type": "array", "items": {"type": "object", "required": ["id"]}}',
     '[{"id": 1}, {}]',
     "data/1 must have required property 'id'"),
    ('{"multipleOf": 0.1}',
     '0.3',
     'data must be multiple of 0.1'),
    ('{"minLength": 2}',
     '"\\ud83d\\ude00"',
     'data must NOT have fewer than 2 characters'),
    ('{"$id": "http://e.com/s", "definitions": {"d": {"$id": "#foo", "type": "string"}}, "properties": {"a": {"$ref": "#foo"}}}',
     '{"a": 1}',
     'data/a must be string'),
    ('{"x-custom": 1}',
     '1',
     None),
    ('{"$ref": "other.json"}',
     '1',
     None),
    ('{"items": [{"type": "string"}, {"type": "string"}], "minItems": 2, "additionalItems": {"type": "number"}}',
     '[1, "a", "b"]',
     'data/2 must be number, data/0 must be string'),
    ('{"nullable": true}',
     '1',
     None),
    ('{"discriminator": "x"}',
     '1',
     None),
    ('{"enum": []}',
     '1',
     None),
    ('{"multipleOf": 0}',
     '1',
     None),
    ('{"pattern": "("}',
     '"a"',
     None),
    ('{"minimum": 1, "type": "integer"}',
     'true',
     'data must be integer'),
    ('{"type": "number"}',
     'true',
     'data must be number'),
    ('{"oneOf": [{}, {}, {}]}',
     '1',
     'data must match exactly one schema in oneOf'),
    ('{"type": "string", "nullable": true, "minLength": 3}',
     '"a"',
     'data must NOT have fewer than 3 characters'),
    ('{"$id": "http://ex.com/root.json", "definitions": {"a": {"type": "string"}}, "properties": {"x": {"$ref": "http://ex.com/root.json#/definitions/a"}}}',
     '{"x": 1}',
     'data/x must be string'),
    ('{"uniqueItems": true}',
     '[1, true, 1.0]',
     'data must NOT have duplicate items (items ## 0 and 2 are identical)'),
    ('{"uniqueItems": true, "items": {"type": ["string", "number"]}}',
     '["1", 1, "1"]',
     'data must NOT have duplicate items (items ## 2 and 0 are identical)'),
    ('{"definitions": {"a": {"x-foo": 1, "format": "x", "pattern": "(", "$ref": "nope.json"}}}',
     '1',
     ''),
    ('{"definitions": {"a": {"format": "x"}}, "$ref": "#/definitions/a"}',
     '1',
     None),
    ('{"properties": {"a": {"$ref": "#/definitions/a"}}, "definitions": {"a": {"properties": {"b": {"format": "x"}}}}}',
     '1',
     None),
    ('{"enum": [1, 1]}',
     '1',
     None),
    ('{"additionalItems": false}',
     '[1, 2]',
     None),
    ('{"$id": "http://x/y.json", "properties": {"a": {"$ref": "y.json#/definitions/d"}}, "definitions": {"d": {"type": "number"}}}',
     '{"a": "s"}',
     'data/a must be number'),
    ('{"properties": {"a": false}}',
     '{"a": 1}',
     'data/a boolean schema is false'),
    ('{"if": {"minimum": 0}, "else": false}',
     '-1',
     'data boolean schema is false, data must match "else" schema'),
    ('{"oneOf": [{"type": "string"}, {"minimum": 0}, {"maximum": 5}]}',
     '3',
     'data must be string, data must match exactly one schema in oneOf'),
    ('{"type": "string", "pattern": "^a$"}',
     '"a\\n"',
     'data must match pattern "^a$"'),
    ('{"additionalProperties": {"type": "string"}, "properties": {"z": {}}}',
     '{"b": 1, "a": 2, "z": 3}',
     'data/b must be string, data/a must be string'),
    ('{"uniqueItems": true, "items": {"type": "string"}}',
     '[1, 2, 1]',
     'data/0 must be string, data/1 must be string, data/2 must be string'),
    ('{"type": "string", "nullable": true}',
     'null',
     ''),
    ('{"definitions": {"p": {"type": "integer", "properties": {"q": {"$ref": "#/definitions/p"}}}}, "properties": {"a": {"$ref": "#/definitions/p"}}}',
     '{"a": {"q": "x"}}',
     'data/a must be integer, data/a/q must be integer'),
]


@pytest.mark.parametrize(("schema", "value", "expected"), AJV)
def test_errors_read_as_ajvs(schema, value, expected):
    if expected is None:
        with pytest.raises(SchemaCompileError):
            compile_schema(json.loads(schema))
        return
    errors = compile_schema(json.loads(schema))(json.loads(value))
    assert errors_text(errors) == expected


def test_error_objects_are_ajvs():
    schema = {"type": "object", "properties": {"a b": {"type": "object", "properties": {
        "n": {"type": "number", "maximum": 2}}}}, "required": ["kind"], "additionalProperties": False}
    errors = compile_schema(schema)({"a b": {"n": 3}, "x": 1})
    assert errors == [
        {"instancePath": "", "schemaPath": "#/required", "keyword": "required",
         "params": {"missingProperty": "kind"}, "message": "must have required property 'kind'"},
        {"instancePath": "", "schemaPath": "#/additionalProperties", "keyword": "additionalProperties",
         "params": {"additionalProperty": "x"}, "message": "must NOT have additional properties"},
        {"instancePath": "/a b/n", "schemaPath": "#/properties/a%20b/properties/n/maximum", "keyword": "maximum",
         "params": {"comparison": "<=", "limit": 2}, "message": "must be <= 2"}]


def test_valid_values_have_no_errors():
    validate = compile_schema({"type": "object", "properties": {"price": {"type": "number", "minimum": 0}},
                               "required": ["price"]})
    assert validate({"price": 1.5}) == [] and validate({"price": 0, "kind": "x"}) == []


def test_error_objects_through_refs_and_false_schemas_are_ajvs():
    # ajv's schemaPath restarts at an inlined ref's target, and at # for a target compiled apart
    inlined = compile_schema({"definitions": {"p": {"type": "integer"}}, "properties": {"a": {"$ref": "#/definitions/p"}}})
    assert [e["schemaPath"] for e in inlined({"a": "x"})] == ["#/definitions/p/type"]
    recursive = compile_schema({"definitions": {"p": {"type": "integer", "properties": {"q": {"$ref": "#/definitions/p"}}}},
                                "properties": {"a": {"$ref": "#/definitions/p"}}})
    assert [(e["instancePath"], e["schemaPath"]) for e in recursive({"a": {"q": "x"}})] == [("/a", "#/type"), ("/a/q", "#/type")]
    assert compile_schema({"if": {"minimum": 0}, "else": False})(-1) == [
        {"instancePath": "", "schemaPath": "#/else/false schema", "keyword": "false schema", "params": {},
         "message": "boolean schema is false"},
        {"instancePath": "", "schemaPath": "#/if", "keyword": "if", "params": {"failingKeyword": "else"},
         "message": 'must match "else" schema'}]
    assert compile_schema({"propertyNames": {"maxLength": 1}})({"ab": 1}) == [
        {"instancePath": "", "schemaPath": "#/propertyNames/maxLength", "keyword": "maxLength", "params": {"limit": 1},
         "message": "must NOT have more than 1 characters", "propertyName": "ab"},
        {"instancePath": "", "schemaPath": "#/propertyNames", "keyword": "propertyNames", "params": {"propertyName": "ab"},
         "message": "property name must be valid"}]
