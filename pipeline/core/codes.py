"""One table of problem codes: code → (severity, short title).

Letters by stage: V validate, R render, C check, P package, B BagIt verify,
E the event log (audit trail).
Messages are written where the problem is found; this table names each code
once, so tests and documentation can refer to codes rather than wording.
"""

from __future__ import annotations

from typing import Mapping

CODES: Mapping[str, tuple[str, str]] = {
    # --- validate -------------------------------------------------------
    "V001": ("error", "metadata file is not valid JSON"),
    "V002": ("error", "metadata does not match the statement schema"),
    "V003": ("error", "unknown field in metadata"),
    "V004": ("error", "missing required field"),
    "V005": ("error", "impossible date"),
    "V006": ("error", "malformed BCP 47 language tag"),
    "V007": ("error", "identifier used by more than one statement"),
    "V008": ("error", "body file missing"),
    "V009": ("error", "body file not decodable as UTF-8"),
    "V010": ("error", "more than one body file for one statement"),
    "V011": ("error", "identifier does not match the metadata file name"),
    "V012": ("error", "identifier unsafe as a file name"),
    "V013": ("error", "body file is empty"),
    "V014": ("error", "statements folder has no statements"),
    "V015": ("error", "body contains control characters"),
    "V016": ("warning", "body file without metadata"),
    "V017": ("error", "file larger than the size limit"),
    "V018": ("error", "statement file is a symbolic link (not followed)"),
    "V019": ("warning", "symbolic link to a folder (not descended)"),
    "V020": ("error", "metadata text contains control characters or unpaired surrogates"),
    "V021": ("error", "statement file cannot be read or is not a regular file"),
    # --- render ---------------------------------------------------------
    "R001": ("error", "character not covered by any bundled font"),
    "R002": ("error", "renderer tried to fetch a resource"),
    "R003": ("error", "WeasyPrint reported a problem"),
    "R005": ("error", "statement file changed since validation"),
    # --- check ----------------------------------------------------------
    "C001": ("error", "PDF cannot be read"),
    "C002": ("error", "PDF/A identification does not match the variant"),
    "C003": ("error", "XMP metadata does not match the record"),
    "C004": ("error", "associated file missing or altered"),
    "C005": ("error", "font not embedded"),
    "C006": ("error", ".notdef glyph used"),
    "C007": ("error", "text of the PDF does not contain the body text"),
    "C008": ("error", "document language not set"),
    "C009": ("error", "associated file listed more than once in /AF"),
    "C010": ("error", "statement file changed since validation"),
    # --- package --------------------------------------------------------
    "P001": ("error", "file missing or changed since rendering"),
    "P002": ("error", "archive folder cannot be written"),
    "P003": ("error", "statement cannot be placed in the package (unsafe or duplicate name)"),
    # --- verify (BagIt, RFC 8493) ---------------------------------------
    "B001": ("error", "bagit.txt missing or malformed"),
    "B002": ("error", "payload file missing"),
    "B003": ("error", "payload file not listed in a manifest"),
    "B004": ("error", "checksum mismatch"),
    "B005": ("error", "Payload-Oxum does not match the payload"),
    "B006": ("error", "tag manifest missing, malformed or mismatched"),
    "B007": ("error", "unsafe path (absolute, '..', or symlink)"),
    "B008": ("error", "manifest line malformed"),
    "B009": ("error", "version chain broken"),
    "B010": ("error", "bag-info.txt missing or malformed"),
    "B011": ("error", "no manifest, or unsupported algorithm"),
    "B012": ("error", "fetch.txt present (bag not complete)"),
    "B013": ("warning", "left over from an interrupted build in .incoming/"),
    "B014": ("warning", "entry in the archive folder is not a package"),
    "B015": ("error", "file or folder cannot be read"),
    "B016": ("error", "path listed more than once in one manifest"),
    "B017": ("warning", "manifest line uses md5sum's binary-mode '*' before the path"),
    "B018": ("warning", "payload paths differ only by case or Unicode normalisation"),
    "B019": ("error", "fetch.txt malformed, or lists a file it must not"),
    "B020": ("warning", "tag file not covered by any tag manifest"),
    "B021": ("error", "manifest not in the exact form this archive writes (edited)"),
    "B022": ("error", "Payload-Oxum missing: fast check impossible"),
    "B023": ("warning", "allowed by the bag's BagIt version (or only discouraged), but not by BagIt 1.0"),
    "B024": ("warning", "bag incomplete: a file listed in fetch.txt is not yet fetched"),
    # --- events (the audit trail, archive/events.jsonl) ------------------
    "E001": ("error", "event log cannot be read"),
    "E002": ("error", "event log ends with an incomplete line (interrupted append)"),
    "E003": ("error", "event log entry malformed"),
    "E004": ("error", "event log entry altered"),
    "E005": ("error", "event log chain broken (entry deleted, inserted or reordered)"),
    "E006": ("error", "event log sequence out of order"),
    "E007": ("error", "event log entry not in canonical form"),
    "E008": ("warning", "archive has packages but no event log"),
    "E009": ("warning", "event could not be recorded in the event log"),
    # --- submit (to the records system) ------------------------------------
    "S001": ("error", "newest package fails verification; nothing submitted"),
    "S002": ("error", "file in the package changed since it was verified; not sent"),
    "S003": ("error", "target refused the submission (not retried)"),
    "S004": ("error", "target unreachable or failing after retries"),
    "S005": ("error", "copy at the target does not match what was sent"),
    "S006": ("warning", "confirmed transfer not recorded in the event log (kept in the ledger)"),
    "S007": ("warning", "an interrupted attempt was sent again"),
    # --- catalogue (the static finding aid; K, as C is check) ------------
    "K001": ("error", "package cannot be read for the catalogue (left out)"),
    "K002": ("warning", "package index entry unusable (file not linked, or entry left out)"),
    "K003": ("error", "statement file unreadable or not as its manifest says (no page)"),
    "K004": ("warning", "no thumbnail of the PDF's first page"),
}


def title(code: str) -> str:
    return CODES[code][1]
