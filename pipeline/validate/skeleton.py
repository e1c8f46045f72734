"""A new statement's metadata, written from the schema itself: ``statement-archive new``.

JSON has no comments, so the guidance is in the values: every field of the
schema appears with a placeholder that starts with ``TODO`` and says what the
field holds (its description from the schema), whether it is required, and,
for a controlled list, every allowed value. Validation refuses a placeholder
left in place (V030, naming the field and repeating its guidance), so the
officer is led field by field: fill in what is known, delete the optional
fields that are not. Because the schema is the only source, a field added to
the schema appears here without any change to this code.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

PLACEHOLDER = "TODO"
#: Written by `statement-archive import` from a capture, never by hand, and not
#: asked of a statement written by hand (rendition_date is the archive's to set).
NOT_BY_HAND = frozenset({"$schema", "capture", "extraction", "drafted_from", "review", "rendition_date"})


def skeleton(schema: dict[str, Any], identifier: str) -> dict[str, Any]:
    """The metadata skeleton for *identifier*, in the schema's own field order."""
    record = {name: _placeholder(spec, name in schema.get("required", ()))
              for name, spec in schema["properties"].items() if name not in NOT_BY_HAND}
    record["identifier"] = identifier
    return record


def skeleton_bytes(schema: dict[str, Any], identifier: str) -> bytes:
    return (json.dumps(skeleton(schema, identifier), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _placeholder(spec: dict[str, Any], required: bool, within_optional: bool = False) -> Any:
    """*within_optional*: part of an optional field, needed only if that field is kept."""
    kind = spec.get("type")
    if kind == "object" and "properties" in spec:
        needed = set(spec.get("required", ()))
        inner = within_optional or not required
        return {name: _placeholder(sub, name in needed, inner) for name, sub in spec["properties"].items()}
    if kind == "array":
        return [_placeholder(spec.get("items", {}), True, within_optional or not required)]
    if required and within_optional:
        need = "needed if you keep this optional field; delete the whole field if it does not apply"
    elif required:
        need = "required"
    else:
        need = "optional: delete this field if it does not apply"
    text = f"{PLACEHOLDER} ({need}): {' '.join(spec.get('description', '').split())}"
    if "enum" in spec:
        text += " One of: " + ", ".join(f"'{value}'" for value in spec["enum"]) + "."
    return text


def placeholders(value: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """(JSON pointer, placeholder text) of every placeholder still in *value*."""
    if isinstance(value, str) and value.startswith(PLACEHOLDER + " ("):
        yield pointer, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from placeholders(item, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from placeholders(item, f"{pointer}/{index}")
