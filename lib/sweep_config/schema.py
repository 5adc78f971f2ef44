"""W&B's own JSON schema for sweep configs (vendored in `wandb_schema/`), its errors as short lines.

A message names where the problem is (`parameters.lr: ...`, `metric: goal ...`). A parameter spec
must match one of the schema's many parameter shapes (`anyOf`); its errors are those of the shape
its `distribution` (named, or inferred from its keys as W&B does) selects, not of every shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

# jsonschema ships no type information (no py.typed, no stubs in the environment)
from jsonschema import FormatChecker, ValidationError, protocols, validators  # type: ignore[import-untyped]

from lib.sweep_config.specs import spec_distribution

SCHEMA_PATH = Path(__file__).with_name("wandb_schema") / "schema.json"
TYPE_NOUNS = {
    "number": "a finite number",
    "integer": "an integer",
    "string": "text",
    "array": "a list",
    "object": "a mapping",
    "boolean": "true or false",
}
FORMAT_NOUNS = {"float": "a float", "integer": "an integer"}
SHAPE_KEYS = frozenset({"distribution", "parameters"})  # the keys that pick a parameter's shape


@cache
def wandb_schema() -> dict[str, Any]:
    """W&B's sweep config schema, as vendored."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def wandb_format_checker() -> FormatChecker:
    """The two formats W&B's schema uses, checked as W&B's `sweeps.config.schema` checks them."""
    checker = FormatChecker(formats=())
    checker.checks("float")(lambda value: isinstance(value, float))
    checker.checks("integer")(lambda value: isinstance(value, int))
    return checker


@cache
def wandb_validator() -> protocols.Validator:
    """A validator of W&B's schema, of the draft the schema declares."""
    schema = wandb_schema()
    validator: protocols.Validator = validators.validator_for(schema)(
        schema, format_checker=wandb_format_checker()
    )
    return validator


def schema_problems(config: Mapping[str, Any]) -> list[str]:
    """What W&B's schema finds wrong with `config`, one short line per problem, in schema order."""
    lines = [line for error in wandb_validator().iter_errors(config) for line in _messages(error, "")]
    return list(dict.fromkeys(lines))


# ---------------------------------------------------------------------------------------------
# Paths


def _dotted(path: Sequence[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f"{'.' if text else ''}{part}"
    return text


def _split(error: ValidationError) -> tuple[str, str]:
    """(the mapping holding the faulty value, the value's key) for an error about one value."""
    path = list(error.absolute_path)
    cut = max((i for i, part in enumerate(path) if isinstance(part, str)), default=0)
    return _dotted(path[:cut]), _dotted(path[cut:])


def _say(where: str, what: str, phrase: str) -> str:
    if not where:
        return f"{what or 'config'}: {phrase}"
    return f"{where}: {what} {phrase}" if what else f"{where}: {phrase}"


# ---------------------------------------------------------------------------------------------
# Choosing the parameter shape a spec means


def _missing(error: ValidationError) -> list[str]:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    return [str(key) for key in error.validator_value if key not in instance]


def _extra(error: ValidationError) -> list[str]:
    known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
    return [str(key) for key in error.instance if key not in known]


def _about_shape(error: ValidationError, depth: int) -> bool:
    """The error says this is another shape: wrong or missing `distribution`, or `parameters`."""
    path = list(error.absolute_path)
    if len(path) == depth + 1 and path[-1] in SHAPE_KEYS:
        return True
    if len(path) != depth:
        return False
    if error.validator == "required":
        return bool(SHAPE_KEYS & set(_missing(error)))
    return error.validator == "additionalProperties" and bool(SHAPE_KEYS & set(_extra(error)))


def _alternatives_of_required(error: ValidationError) -> list[list[str]] | None:
    """For an `anyOf` of plain `required` lists (hyperband's), those lists; else None."""
    branches = error.validator_value
    if not all(isinstance(b, Mapping) and set(b) == {"required"} for b in branches):
        return None
    return [list(b["required"]) for b in branches]


def _branch_errors(errors: Iterable[ValidationError], depth: int) -> list[ValidationError] | None:
    """One branch's errors, nested choices at the same place resolved; None if it is another shape."""
    found: list[ValidationError] = []
    for error in errors:
        if _about_shape(error, depth):
            return None
        nested_choice = error.validator in ("anyOf", "oneOf") and len(error.absolute_path) == depth
        if nested_choice and _alternatives_of_required(error) is None:
            inner = _best_branch(error)
            if inner is None:
                return None
            found += inner
        else:
            found.append(error)
    return found


def _best_branch(error: ValidationError) -> list[ValidationError] | None:
    """The errors of the branch of an `anyOf`/`oneOf` closest to passing among those of the right
    shape; None when no branch has the shape."""
    depth = len(error.absolute_path)
    by_branch: dict[Any, list[ValidationError]] = {}
    for sub in error.context or ():
        by_branch.setdefault(sub.relative_schema_path[0], []).append(sub)
    candidates = [b for b in (_branch_errors(errs, depth) for errs in by_branch.values()) if b is not None]
    return min(candidates, key=len) if candidates else None


def _parameter_messages(error: ValidationError) -> list[str]:
    where, spec = _dotted(error.absolute_path), error.instance
    if not isinstance(spec, Mapping):
        return [f"{where}: a parameter must be a mapping (value, values, distribution, ...)"]
    distribution = None if "parameters" in spec else spec_distribution(spec)
    if distribution is None and "parameters" not in spec:
        return [f"{where}: give value, values, min/max or a distribution"]
    errors = _best_branch(error)
    if errors is None:
        return [f"{where}: unknown distribution {distribution!r}"]
    return [line for sub in errors for line in _messages(sub, distribution or "")]


def _is_parameter(error: ValidationError) -> bool:
    return error.validator == "anyOf" and error.schema == wandb_schema()["definitions"]["parameter"]


# ---------------------------------------------------------------------------------------------
# One message per kind of error; `owner` is the distribution of the parameter the error is in


def _type_message(error: ValidationError, owner: str) -> list[str]:
    where, what = _split(error)
    expected = str(error.validator_value)
    if expected == "integer" and what in ("min", "max") and owner:
        return [f"{where}: {owner} needs integer min and max ({what} is {error.instance!r})"]
    nouns = TYPE_NOUNS if error.validator == "type" else FORMAT_NOUNS
    return [_say(where, what, f"must be {nouns.get(expected, expected)} (got {error.instance!r})")]


def _enum_message(error: ValidationError, owner: str) -> list[str]:
    where, what = _split(error)
    options = ", ".join(map(str, error.validator_value))
    return [_say(where, what, f"must be one of {options} (got {error.instance!r})")]


def _bound_message(error: ValidationError, owner: str) -> list[str]:
    where, what = _split(error)
    sign = ">" if error.validator == "exclusiveMinimum" else ">="
    limit, got = f"{error.validator_value:g}", f"(got {error.instance!r})"
    if not where:
        return [f"{what}: must be {sign} {limit} {got}"]
    return [f"{where}: {owner + ' ' if owner else ''}needs {what} {sign} {limit} {got}"]


def _min_items_message(error: ValidationError, owner: str) -> list[str]:
    where, what = _split(error)
    count = int(error.validator_value)
    return [_say(where, what, "must be a non-empty list" if count == 1 else f"needs {count} items or more")]


def _min_properties_message(error: ValidationError, owner: str) -> list[str]:
    where = _dotted(error.absolute_path)
    what = " of parameter names to specs" if where.endswith("parameters") else ""
    return [_say(where, "", f"must be a non-empty mapping{what}")]


def _pattern_message(error: ValidationError, owner: str) -> list[str]:
    if "propertyNames" in error.relative_schema_path:
        where = _dotted(error.absolute_path)
        return [f"{where}: {error.instance!r} is not a valid parameter name (letters, digits, _ . -)"]
    where, what = _split(error)
    return [_say(where, what, f"must match {error.validator_value}")]


def _required_message(error: ValidationError, owner: str) -> list[str]:
    where, missing = _dotted(error.absolute_path), ", ".join(_missing(error))
    if not where:
        return [f"{missing}: required"]
    return [f"{where}: {owner + ' ' if owner else ''}needs {missing}"]


def _additional_message(error: ValidationError, owner: str) -> list[str]:
    where, extra = _dotted(error.absolute_path), _extra(error)
    if not where:
        return [f"unknown top-level key {key!r}" for key in extra]
    if "parameters" in error.schema.get("properties", {}):
        return [
            f"{where}: a nested parameter holds only `parameters` (got {', '.join(map(str, error.instance))})"
        ]
    for_owner = f" for {owner}" if owner else ""
    return [f"{where}: unknown key {key!r}{for_owner}" for key in extra]


def _choice_message(error: ValidationError, owner: str) -> list[str]:
    if _is_parameter(error):
        return _parameter_messages(error)
    where = _dotted(error.absolute_path)
    alternatives = _alternatives_of_required(error)
    if alternatives is not None:
        return [f"{where}: needs {', or '.join(' and '.join(keys) for keys in alternatives)}"]
    errors = _best_branch(error)
    if errors is None:
        return [_say(where, "", error.message)]
    return [line for sub in errors for line in _messages(sub, owner)]


MESSAGES: dict[str, Callable[[ValidationError, str], list[str]]] = {
    "type": _type_message,
    "format": _type_message,
    "enum": _enum_message,
    "exclusiveMinimum": _bound_message,
    "minimum": _bound_message,
    "minItems": _min_items_message,
    "minProperties": _min_properties_message,
    "pattern": _pattern_message,
    "required": _required_message,
    "additionalProperties": _additional_message,
    "anyOf": _choice_message,
    "oneOf": _choice_message,
}


def _messages(error: ValidationError, owner: str) -> list[str]:
    describe = MESSAGES.get(str(error.validator))
    if describe is None:
        where, what = _split(error)
        return [_say(where, what, error.message)]
    return describe(error, owner)
