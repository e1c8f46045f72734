"""pdftotext's text from a PDF as rendered vs from what the check stage gives it.

    python bench/pdftotext_input.py --per-kind 100 --limit 2000 FOLDER...

The check stage gives ``pdftotext`` the PDF's bytes plus a later revision of
the catalog without ``/OutputIntents`` (``pipeline.check.pdftext.without_display_profile``).
This reads PDFs under the folders (in a shuffled order, distinct bytes only, at
most ``--per-kind`` of each PDF/A variant and script of the document language)
and compares, for each, pdftotext's stdout, stderr and exit status both ways,
and the CPU both ways (children's rusage). Prints the counts per kind and every PDF
that differs.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import random
import re
import resource
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pikepdf  # noqa: E402

from pipeline.check.pdftext import without_display_profile  # noqa: E402

RIGHT_TO_LEFT, CJK = ("ar", "he", "fa", "ur"), ("zh", "ja", "ko")


def kind(pdf: pikepdf.Pdf) -> tuple[str, str]:
    metadata = pdf.Root.get("/Metadata")
    xmp = metadata.read_bytes() if metadata is not None else b""
    part = re.search(rb"pdfaid:part[>=\"']+(\d)", xmp)
    conformance = re.search(rb"pdfaid:conformance[>=\"']+(\w)", xmp)
    variant = (part[1] + conformance[1]).decode().lower() if part and conformance else "not PDF/A"
    lang = str(pdf.Root.get("/Lang", "")).split("-")[0]
    return variant, "right-to-left" if lang in RIGHT_TO_LEFT else "CJK" if lang in CJK else "other"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--per-kind", type=int, default=100)
    parser.add_argument("--limit", type=int, default=2000)
    args = parser.parse_args()
    paths = [p for folder in args.folders for p in folder.rglob("*.pdf")]
    random.Random(22).shuffle(paths)
    kinds: collections.Counter = collections.Counter()
    seen, differ, unread, revised = set(), [], 0, 0
    cpu = {"as rendered": 0.0, "as given": 0.0}
    for path in paths:
        if sum(kinds.values()) >= args.limit:
            break
        data = path.read_bytes()
        digest = hashlib.sha256(data).digest()
        if digest in seen:
            continue
        seen.add(digest)
        try:
            with pikepdf.open(path) as pdf:
                its_kind = kind(pdf)
                if kinds[its_kind] >= args.per_kind:
                    continue
                given = without_display_profile(pdf, data)
        except pikepdf.PdfError:
            unread += 1  # the check stage refuses these (C001) before pdftotext
            continue
        kinds[its_kind] += 1
        revised += given is not data
        start = children_cpu()
        plain = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True)
        middle = children_cpu()
        ours = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=given, capture_output=True)
        cpu["as rendered"] += middle - start
        cpu["as given"] += children_cpu() - middle
        if (plain.stdout, plain.stderr, plain.returncode) != (ours.stdout, ours.stderr, ours.returncode):
            differ.append(path)
    total = sum(kinds.values())
    print(f"{total} distinct PDFs ({revised} given a revision), {len(differ)} differ; {unread} not read by qpdf")
    for (variant, script), count in sorted(kinds.items()):
        print(f"  {variant:10s} {script:14s} {count}")
    print("pdftotext CPU per PDF: " + ", ".join(f"{k} {v / max(total, 1) * 1000:.1f} ms" for k, v in cpu.items()))
    for path in differ:
        print(f"DIFFERS {path}")


if __name__ == "__main__":
    main()
