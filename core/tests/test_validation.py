"""Strict request fields: no silent coercion of numbers, booleans or objects into strings."""

import io

import pytest
from rest_framework import serializers
from rest_framework.exceptions import ParseError

from core.errors import ApplicationError, Messages
from core.validation import (
    ContractJSONParser,
    IdField,
    StrictCharField,
    StrictEmailField,
    validated,
)


class Body(serializers.Serializer):
    name = StrictCharField(max_length=20)
    email = StrictEmailField()
    ref = IdField()


GOOD = {"name": "Ada", "email": "ada@school.test", "ref": "12"}


def test_a_good_body_validates():
    assert dict(validated(Body, GOOD)) == GOOD


def test_numeric_ids_become_their_text():
    assert validated(Body, {**GOOD, "ref": 12})["ref"] == "12"


@pytest.mark.parametrize("data", [[], ["a"], "text", 5, None, True], ids=repr)
def test_a_body_that_is_not_an_object_is_invalid(data):
    with pytest.raises(ApplicationError) as raised:
        validated(Body, data)

    assert (raised.value.status, raised.value.message) == (400, Messages.INVALID_SCHEMA)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", 5),
        ("name", True),
        ("name", None),
        ("name", {"a": 1}),
        ("name", ["Ada"]),
        ("name", "x" * 21),
        ("email", 5),
        ("email", ["ada@school.test"]),
        ("email", "nope"),
        ("ref", True),
        ("ref", 1.5),
        ("ref", {"$ne": None}),
        ("ref", ""),
        ("ref", "x" * 65),
        ("ref", None),
    ],
    ids=repr,
)
def test_wrong_types_and_values_are_invalid(field, value):
    with pytest.raises(ApplicationError):
        validated(Body, {**GOOD, field: value})


def test_unknown_fields_are_dropped():
    assert "role" not in validated(Body, {**GOOD, "role": "teacher"})


def test_parser_reads_json_objects():
    assert ContractJSONParser().parse(io.BytesIO(b'{"a": [1, {"b": null}]}')) == {"a": [1, {"b": None}]}


@pytest.mark.parametrize("raw", [b"[" * 100_000 + b"]" * 100_000, b"{oops", b"NaN", b"\xff"], ids=repr)
def test_parser_turns_undecodable_bodies_into_parse_errors(raw):
    with pytest.raises(ParseError):
        ContractJSONParser().parse(io.BytesIO(raw))
