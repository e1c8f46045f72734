"""A reduced hash tree (in the spirit of RFC 4998), so one timestamp covers many seals.

Why our own: RFC 4998 defines the tree inside ASN.1 Evidence Records, which
no well-kept Python library writes or checks, and which `openssl` cannot read.
This tree is a few lines, and each package's proof is a small text file that
can be checked with `sha256sum` and `sort` alone (README: "Checking a seal
without this project").

The rule, for a digest algorithm D (sha256 by default; recorded in the proof):

* a leaf is D of a file's bytes, written as lowercase hex;
* a parent is D of its two children's hex digests, sorted (byte order), each
  followed by a newline: ``printf '%s\\n' "$a" "$b" | LC_ALL=C sort | sha256sum``.
  Sorting (as RFC 4998 does) means a proof needs no left/right flags;
* leaves are paired in order, level by level; an odd one out is carried up
  unchanged; the last node is the root, which the TSA timestamps (the token's
  message imprint is the root itself). A tree of one leaf has root = leaf.

A leaf (D of a DER signature or of a ``covers.txt`` list) can never equal
the text a parent is hashed over, so a node cannot pose as a leaf.

The proof file (``proof.txt``), one item per line::

    statement-archive hash-tree proof 1
    digest sha256
    leaf signature.p7s
    sibling <hex>          (zero or more, from the leaf upwards)
    root <hex>
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Sequence

PROOF_HEADER = "statement-archive hash-tree proof 1"
DIGESTS = ("sha256", "sha384", "sha512")


@dataclass(frozen=True)
class Proof:
    """The path from one leaf (a file of the seal) to the timestamped root."""

    digest: str
    leaf_file: str
    siblings: tuple[str, ...]
    root: str

    def text(self) -> bytes:
        lines = [PROOF_HEADER, f"digest {self.digest}", f"leaf {self.leaf_file}",
                 *(f"sibling {s}" for s in self.siblings), f"root {self.root}"]
        return ("\n".join(lines) + "\n").encode("ascii")


def leaf_digest(digest: str, data: bytes) -> str:
    return hashlib.new(digest, data).hexdigest()


def parent_digest(digest: str, a: str, b: str) -> str:
    low, high = sorted((a, b))
    return hashlib.new(digest, f"{low}\n{high}\n".encode("ascii")).hexdigest()


def build_proofs(digest: str, leaves: Sequence[tuple[str, str]]) -> list[Proof]:
    """One proof per leaf, given as (file name in the seal, leaf hex digest), in order."""
    if digest not in DIGESTS:
        raise ValueError(f"digest {digest!r} is not one of {DIGESTS}")
    if not leaves:
        return []
    paths: list[list[str]] = [[] for _ in leaves]
    level = [(h, [i]) for i, (_, h) in enumerate(leaves)]  # node digest, leaves under it
    while len(level) > 1:
        upper = []
        for k in range(0, len(level) - 1, 2):
            (left, under_left), (right, under_right) = level[k], level[k + 1]
            for i in under_left:
                paths[i].append(right)
            for i in under_right:
                paths[i].append(left)
            upper.append((parent_digest(digest, left, right), under_left + under_right))
        if len(level) % 2:
            upper.append(level[-1])  # carried up unchanged
        level = upper
    root = level[0][0]
    return [Proof(digest, name, tuple(paths[i]), root) for i, (name, _) in enumerate(leaves)]


def root_of(digest: str, leaf: str, siblings: Sequence[str]) -> str:
    node = leaf
    for sibling in siblings:
        node = parent_digest(digest, node, sibling)
    return node


def parse_proof(data: bytes) -> Proof:
    """The proof in *data*; ValueError naming the first line that is wrong."""
    try:
        lines = data.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise ValueError("not ASCII text") from None
    if lines[-1:] != [""]:
        raise ValueError("does not end with a newline")
    lines = lines[:-1]
    if len(lines) < 4 or lines[0] != PROOF_HEADER:
        raise ValueError(f"first line is not {PROOF_HEADER!r}")
    fields = [line.partition(" ") for line in lines[1:]]
    if fields[0][0] != "digest" or fields[0][2] not in DIGESTS:
        raise ValueError(f"line 2 must be `digest` and one of {', '.join(DIGESTS)}")
    digest = fields[0][2]
    width = hashlib.new(digest).digest_size * 2
    if fields[1][0] != "leaf" or not fields[1][2]:
        raise ValueError("line 3 must be `leaf FILE`")
    if fields[-1][0] != "root":
        raise ValueError("last line must be `root HEX`")
    siblings = []
    for number, (key, _, value) in enumerate(fields[2:], start=4):
        if key not in ("sibling", "root") or (key == "root" and number != len(lines)):
            raise ValueError(f"line {number}: expected `sibling HEX` or, last, `root HEX`")
        if len(value) != width or value.strip("0123456789abcdef"):
            raise ValueError(f"line {number}: not a {digest} digest in lowercase hex")
        if key == "sibling":
            siblings.append(value)
    return Proof(digest, fields[1][2], tuple(siblings), fields[-1][2])
