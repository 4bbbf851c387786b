"""Validate positioned YAML data against pydantic models and report problems by line.

Pydantic's messages are good but generic; users need the field's place in their file, a
"did you mean" for typos, and the unit a number is expected in.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from advisor.problems import InputError, Problem
from advisor.yaml_source import SourceDoc

M = TypeVar("M", bound=BaseModel)

_UNIT_SUFFIXES = {
    "_ms": "milliseconds",
    "_usd": "US dollars",
    "_b": "billions",
    "_m": "millions",
    "_gb": "gigabytes",
    "_gbps": "GB/s",
    "_w": "watts",
    "_pct": "percent",
    "_days": "days",
    "_hours": "hours",
    "_months": "months",
    "_rps": "requests per second",
    "_per_s": "per second",
    "_tflops": "TFLOPS",
    "_tops": "TOPS",
}


class FieldError(ValueError):
    """A model-level check that failed because of one field: the error is reported at that field.

    Raise it from a `model_validator` with the field's path relative to the model being
    validated, e.g. `FieldError("no spot for serving", "constraints", "spot")`.
    """

    def __init__(self, message: str, *path: str | int):
        super().__init__(message)
        self.path = tuple(path)


FORM_TAG = "form:"
"""Prefix of the tags that tell apart the written forms of one field (a profile as a name, 24
numbers or a weekly mapping): pydantic puts them in an error's path, where users wrote no key."""


def form(name: str) -> str:
    """The tag of one written form of a field (pydantic `Tag`), left out of error paths."""
    return FORM_TAG + name


def _error_loc(error: Mapping[str, Any]) -> tuple[Any, ...]:
    """The error's field path without form tags, extended by the path of a FieldError raised by a model check."""
    cause = (error.get("ctx") or {}).get("error")
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith(FORM_TAG)))
    return loc + (cause.path if isinstance(cause, FieldError) else ())


def unit_hint(field_name: str) -> str:
    """The unit a field's name promises, for messages such as 'expected a number (milliseconds)'."""
    for suffix, unit in _UNIT_SUFFIXES.items():
        if field_name.endswith(suffix):
            return unit
    return ""


def _field_names(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Known field names of the (nested) model that `loc` points into, for did-you-mean hints."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        annotation = fields[part].annotation
        current = _model_in(annotation)
        if current is None:
            return []
    fields = getattr(current, "model_fields", None)
    return sorted(fields) if fields else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The BaseModel class inside an annotation such as `Foo | None` or `list[Foo]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def describe(model: type[BaseModel], error: dict[str, Any]) -> str:
    """One readable sentence for one pydantic error."""
    loc = tuple(error["loc"])
    field = ".".join(str(p) for p in loc) or "document"
    kind = error["type"]
    last = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        known = _field_names(model, loc[:-1])
        close = difflib.get_close_matches(last, known, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else (
            f"; known fields: {', '.join(known)}" if known else "")
        return f"unknown field '{field}'{hint}"
    if kind == "missing":
        return f"missing required field '{field}'"
    unit = unit_hint(last)
    given = error.get("input")
    shown = repr(given) if isinstance(given, (str, int, float, bool)) or given is None else type(given).__name__
    if kind in {"float_parsing", "int_parsing", "float_type", "int_type", "int_from_float"}:
        expected = "a whole number" if kind.startswith("int") else "a number"
        unit_text = f" in {unit}" if unit else ""
        return f"'{field}' must be {expected}{unit_text}, got {shown}"
    msg = error["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return f"'{field}': {msg} (got {shown})" if kind not in {"value_error", "assertion_error"} else f"'{field}': {msg}"


def validate(model: type[M], doc: SourceDoc, data: Any = None, base: tuple[Any, ...] = ()) -> M:
    """Validate `data` (default: the whole document) as `model`, raising InputError by line."""
    payload = doc.data if data is None else data
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problems: list[Problem] = []
        for error in exc.errors(include_url=False):
            loc = _error_loc(error)
            prefer_key = error["type"] == "extra_forbidden"
            problems.append(doc.problem(base + loc, describe(model, {**error, "loc": loc}), prefer_key))
        raise InputError(problems) from None
