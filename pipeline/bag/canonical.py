"""Is a manifest byte for byte what our writer would have written?

RFC 8493 lets a manifest vary in ways that do not change its meaning:
upper-case hex, tabs or several spaces between checksum and path, CR or
CRLF line endings, any order. Nothing covers a tag manifest's own bytes, so
such an edit to one would go unseen. Our packages are only ever written by
:mod:`.writer`, in one form, so for them any other form means the file was
edited after it was written.
"""

from __future__ import annotations

from .manifest import format_manifest, parse_manifest


def noncanonical_reason(data: bytes, algorithm: str) -> str | None:
    """Why *data* is not the canonical manifest for its entries, or ``None``."""
    parsed = parse_manifest(data, algorithm)
    if parsed.errors or parsed.duplicates or parsed.bare_percent:
        return None  # already reported as errors (a '*' is only a warning: go on)
    expected = format_manifest(parsed.entries)
    if data == expected:
        return None
    got, want = data.split(b"\n"), expected.split(b"\n")
    line = next((i for i, (a, b) in enumerate(zip(got, want), start=1) if a != b),
                min(len(got), len(want)))
    return (f"line {line} differs from the form this archive writes (sorted "
            "'<lower-case hex>  <path>' lines, LF endings): edited after it was written")
