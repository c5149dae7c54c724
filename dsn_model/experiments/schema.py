"""What a record and a manifest may hold, checked whenever one is read from disk.

A reproduction folder is data a user (or anyone) can edit. Reading it back,
every record and ``run.json`` is validated against a JSON Schema
(``jsonschema``): the right types (an error stored as the string ``"10"`` is
not compared with ``"9"`` as text), finite numbers in their ranges (no NaN,
no accuracy of -123), the fields the report needs. A file that fails is named
with the field at fault, in one line.

Examples
--------
>>> validate_record({"experiment": "fig4", "target": "t", "model": "m", "seed": 0, "mse": 0.1})
>>> validate_record({"experiment": "table2"}, "r.json")
Traceback (most recent call last):
...
ValueError: r.json is not a valid record: 'target' is a required property.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

__all__ = [
    "MANIFEST_SCHEMA",
    "RECORD_SCHEMA",
    "read_json",
    "read_records",
    "validate_manifest",
    "validate_record",
]

_COUNT = {"type": "integer", "minimum": 0}
_POSITIVE_COUNT = {"type": "integer", "minimum": 1}
_NONNEGATIVE = {"type": "number", "minimum": 0}
_CURVE = {"type": "array", "items": _NONNEGATIVE}

#: One task's record (every experiment with records writes these fields).
RECORD_SCHEMA = {
    "type": "object",
    "required": ["experiment", "target", "model", "seed"],
    "properties": {
        "experiment": {"type": "string", "minLength": 1},
        "target": {"type": "string"},
        "model": {"type": "string", "minLength": 1},
        "label": {"type": "string"},
        "seed": _COUNT,
        "d": _POSITIVE_COUNT,
        "k": _COUNT,  # 0: inputs on the whole cube, no subspace
        "n_train": _POSITIVE_COUNT,
        "fit_seconds": _NONNEGATIVE,
        "mse": _NONNEGATIVE,
        "mse_over_var": _NONNEGATIVE,
        "accuracy": {"type": "number", "minimum": 0, "maximum": 1},
        "validation_error": _NONNEGATIVE,
        "validation_rows": _COUNT,
        "chosen_alpha": {"type": "number", "exclusiveMinimum": 0},
        "chosen_learning_rate": {"type": "number", "exclusiveMinimum": 0},
        "active_units": _COUNT,
        "total_units": _COUNT,
        "buckets": _COUNT,
        "flops_paper": _COUNT,
        "flops_total": _COUNT,
        "curve_epochs": {"type": "array", "items": _COUNT},
        "curve_mse_over_var": _CURVE,
        "curve_train_mse_over_var": _CURVE,
    },
    "anyOf": [{"required": ["mse"]}, {"required": ["accuracy"]}],
}

#: A reproduction folder's ``run.json``.
MANIFEST_SCHEMA = {
    "type": "object",
    "required": ["mode", "seeds", "seconds"],
    "properties": {
        "mode": {"enum": ["quick", "full"]},
        "seeds": {"type": "integer", "minimum": 1, "maximum": 1000},
        "table1_scale": {"type": "integer", "minimum": 1},
        "version": {"type": "string"},
        "seconds": {"type": "object", "additionalProperties": _NONNEGATIVE},
    },
}


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def read_json(path) -> object:
    """``json.loads`` of a file that must be strict JSON (no NaN or Infinity), naming it."""
    path = Path(path)
    try:
        return json.loads(path.read_text(), parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}.") from exc


_VALIDATORS: dict[int, jsonschema.protocols.Validator] = {}


def _validate(value, schema: dict, what: str, source: str) -> None:
    validator = _VALIDATORS.get(id(schema))
    if validator is None:  # the schema checked once, not on every record
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validator = _VALIDATORS[id(schema)] = cls(schema)
    try:
        validator.validate(value)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        at = f" (at {where})" if where else ""
        raise ValueError(f"{source} is not a valid {what}{at}: {exc.message}.") from None


def validate_record(record, source: str = "a record") -> None:
    """ValueError naming ``source`` and the field unless ``record`` fits :data:`RECORD_SCHEMA`."""
    _validate(record, RECORD_SCHEMA, "record", source)


def validate_manifest(manifest, source: str = "run.json") -> None:
    """ValueError naming ``source`` and the field unless ``manifest`` fits the schema."""
    _validate(manifest, MANIFEST_SCHEMA, "manifest", source)


def read_records(path, experiment: str | None = None) -> list[dict]:
    """A list of records from a JSON file, each validated (and of ``experiment``, if given).

    Raises
    ------
    ValueError
        Naming the file, the record's position and the field at fault.
    """
    rows = read_json(path)
    if not isinstance(rows, list) or not rows:
        raise ValueError(f"{path} is not a list of records (got {type(rows).__name__}).")
    for i, row in enumerate(rows):
        validate_record(row, f"{path} (record {i})")
        if experiment is not None and row["experiment"] != experiment:
            raise ValueError(
                f"{path} (record {i}) is a record of {row['experiment']!r}, not {experiment!r}."
            )
    return rows
