"""Where a seal lives and what its files are called.

``archive/seals/<package>/`` (a sidecar beside the bag, never inside it)::

    signature.p7s        detached CMS (CAdES-BES, DER) over <package>/tagmanifest-sha512.txt
    step-0001/proof.txt  hash-tree path from signature.p7s to the timestamped root
    step-0001/token-1.tst  RFC 3161 TimeStampToken (DER) over that root, one per TSA
    step-0002/covers.txt renewal: digests of the tag manifest, the signature and every
                         file of the earlier steps (sha256sum/sha512sum format)
    step-0002/proof.txt  hash-tree path from covers.txt to the new root
    step-0002/token-1.tst

A seal and each renewal step are built in ``seals/.incoming/`` and renamed into
place when complete; nothing in a seal is ever rewritten, a renewal only adds
a step.
"""

from __future__ import annotations

import re
from pathlib import Path

SEALS_DIR = "seals"
INCOMING = ".incoming"
SEALED_FILE = "tagmanifest-sha512.txt"
SIGNATURE_FILE = "signature.p7s"
PROOF_FILE = "proof.txt"
COVERS_FILE = "covers.txt"
STEP_PATTERN = re.compile(r"step-(\d{4})")
TOKEN_PATTERN = re.compile(r"token-([1-9]\d*)\.tst")


def step_name(number: int) -> str:
    return f"step-{number:04d}"


def token_name(number: int) -> str:
    return f"token-{number}.tst"


def seal_dir(archive_dir: Path, package: str) -> Path:
    return archive_dir / SEALS_DIR / package


def sealed_path(package: str) -> str:
    """The sealed tag manifest as seen from the seal folder (for covers.txt and openssl)."""
    return f"../../{package}/{SEALED_FILE}"
