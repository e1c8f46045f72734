"""Whether two checkouts read the same logical text out of the same PDFs (issue 15).

    python bench/structtext_compare.py --against /work/main build/pdf /tmp/check-cpu/pdf-30

Reads every PDF under the folders given with this checkout's
``structure_text`` (both base directions), then runs itself under the
``--against`` checkout (``PIPELINE_ROOT``) on the same files, and compares
the two readings line by line: the walk of the structure tree moved from
pypdf to qpdf (pikepdf), and must give byte-identical text. Prints each
PDF that differs and exits 1 if any does. Without ``--against``, prints this
checkout's readings (JSON lines). A file rewritten between the two readings
(another process's temporary PDFs) is left out and counted.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("PIPELINE_ROOT", PROJECT)).resolve()
sys.path.insert(0, str(ROOT))


def opened(structure_text, pdf: Path):
    """What *structure_text* reads: a pypdf reader (before issue 15's step 2) or qpdf's PageContents."""
    if next(iter(inspect.signature(structure_text).parameters)) == "reader":
        from pypdf import PdfReader

        return PdfReader(pdf)
    from pipeline.check.contents import PageContents

    return PageContents(pdf.read_bytes())


def readings(pdfs: list[Path]) -> list[str]:
    from pipeline.check.structtext import NoStructureTree, structure_text

    lines = []
    for pdf in pdfs:
        entry: dict = {"pdf": str(pdf), "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest()}
        for direction, right_to_left in (("ltr", False), ("rtl", True)):
            try:
                entry[direction] = structure_text(opened(structure_text, pdf), right_to_left)
            except NoStructureTree as exc:
                entry[direction] = f"untagged: {exc}"
            except Exception:  # messages differ between pypdf and qpdf; that it failed must not
                entry[direction] = "unreadable"
        lines.append(json.dumps(entry, ensure_ascii=False, sort_keys=True))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="PDFs, or folders searched for *.pdf")
    parser.add_argument("--against", type=Path, help="the other checkout (e.g. /work/main)")
    args = parser.parse_args()
    pdfs = sorted({p.resolve() for path in args.paths
                   for p in ([path] if path.is_file() else path.rglob("*.pdf"))})
    ours = readings(pdfs)
    if args.against is None:
        print("\n".join(ours))
        return
    done = subprocess.run([sys.executable, __file__, *map(str, pdfs)], capture_output=True, text=True,
                          env={**os.environ, "PIPELINE_ROOT": str(args.against)}, check=True)
    theirs = done.stdout.splitlines()
    pairs = [(json.loads(a), json.loads(b)) for a, b in zip(ours, theirs)]
    changed = [a["pdf"] for a, b in pairs if a["sha256"] != b["sha256"]]  # rewritten meanwhile
    differ = [a["pdf"] for a, b in pairs if a != b and a["pdf"] not in changed]
    tagged = sum(1 for a, _ in pairs if isinstance(a["ltr"], list))
    print(f"{len(pdfs)} PDFs ({tagged} tagged), both directions: {len(differ)} differ between "
          f"{ROOT} and {args.against.resolve()}; {len(changed)} left out (rewritten during the run)")
    for pdf in differ:
        print(f"  differs: {pdf}")
    sys.exit(1 if differ or len(ours) != len(theirs) else 0)


if __name__ == "__main__":
    main()
