#!/usr/bin/env python3
"""Say exactly which system packages are missing, before anything fails obscurely.

Usage: check_system.py [--for-tests]
Standard library only: this runs before the virtual environment exists.
"""

from __future__ import annotations

import ctypes.util
import shutil
import subprocess
import sys
from pathlib import Path

# (what, how to detect, Debian package, why)
LIBRARIES = [
    ("Pango", "pango-1.0", "libpango-1.0-0", "WeasyPrint lays out text with it"),
    ("PangoFT2", "pangoft2-1.0", "libpangoft2-1.0-0", "WeasyPrint loads fonts through it"),
    ("fontconfig", "fontconfig", "libfontconfig1", "WeasyPrint finds the pinned fonts through it"),
    ("HarfBuzz subsetter", "harfbuzz-subset", "libharfbuzz-subset0",
     "font subsets are byte-identical across machines only with the same subsetter "
     "(without it WeasyPrint falls back to fontTools: other bytes, ~3x slower)"),
]
PROGRAMS = [
    ("pdftotext", "poppler-utils", "the check stage reads each PDF's text back with it"),
]
TEST_PROGRAMS = [
    ("java", "default-jre-headless", "the tests run PDFBox Preflight, the independent PDF/A-1b validator"),
    ("chromium", "chromium", "the catalogue is tested in headless Chromium (driven by Playwright)"),
    ("npm", "npm", "the catalogue's accessibility test installs axe-core with it"),
]
TEST_FILES = [
    ("/usr/share/java/preflight.jar", "libpdfbox2-java", "PDFBox Preflight"),
    ("/usr/share/java/javax.activation.jar", "libactivation-java", "needed by Preflight on Java 11+"),
    ("/usr/share/java/jaxb-api.jar", "libjaxb-api-java", "needed by Preflight on Java 11+"),
]


def main() -> int:
    for_tests = "--for-tests" in sys.argv[1:]
    missing: list[tuple[str, str, str]] = []
    if sys.version_info < (3, 11):
        print(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}", file=sys.stderr)
        return 1
    venv_ok = subprocess.run([sys.executable, "-c", "import ensurepip, venv"], capture_output=True).returncode == 0
    if not venv_ok:
        missing.append(("python3 venv module", "python3-venv", "make creates .venv with it"))
    for what, soname, package, why in LIBRARIES:
        if ctypes.util.find_library(soname) is None:
            missing.append((what, package, why))
    for program, package, why in PROGRAMS + (TEST_PROGRAMS if for_tests else []):
        if shutil.which(program) is None:
            missing.append((program, package, why))
    if for_tests:
        for path, package, why in TEST_FILES:
            if not Path(path).is_file():
                missing.append((path, package, why))
    if not missing:
        return 0
    print("Missing system packages (Debian names):", file=sys.stderr)
    for what, package, why in missing:
        print(f"  {package:<22} for {what}: {why}", file=sys.stderr)
    names = " ".join(dict.fromkeys(package for _, package, _ in missing))
    print(f"Install them with:  sudo apt-get update && sudo apt-get install -y {names}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
