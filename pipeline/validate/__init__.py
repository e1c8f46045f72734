"""The validate stage: every statement's metadata against the JSON Schema, plus
the checks a schema cannot make (unique identifiers, real dates, language tags,
a decodable body, withdrawals). Collects every problem of every statement."""

from pipeline.validate.stage import (
    DEFAULT_MAX_BODY_BYTES, new_statement, schema_version, validate_statements, validate_withdrawals,
)

__all__ = ["DEFAULT_MAX_BODY_BYTES", "new_statement", "schema_version", "validate_statements",
           "validate_withdrawals"]
