#!/usr/bin/env python3
"""Make sure the system packages the pipeline needs are installed, installing them if we may.

Usage: check_system.py [--for-tests] [--check-only]

Every Debian package the project needs is in REQUIREMENTS below, the one list
(README.md documents it, `make` and `make test` run this script; add a package
here and nowhere else). What is missing is installed:
  - as root: directly (`apt-get install`, after `apt-get update` when the
    package lists are missing, stale or lack a package);
  - otherwise with `sudo`, when sudo works without asking for a password;
  - otherwise the exact command is printed and the exit code is 3.
`--check-only` never installs: it reports and exits 3 if anything is missing.

Standard library only: this runs before the virtual environment exists.
For the tests, STATEMENT_ARCHIVE_PRETEND_MISSING=pkg1,pkg2 treats those
packages as missing whatever is installed.
"""

from __future__ import annotations

import ctypes.util
import glob
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

EXIT_OK, EXIT_MISSING = 0, 3
APT_LISTS = "/var/lib/apt/lists"
STALE_AFTER_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Requirement:
    needed_for: str  # "build" (make) or "tests" (make test)
    package: str  # Debian package name (Debian 12 and 13)
    probe: str  # how to see it is there: "program:NAME", "library:SONAME", "file:PATH", "python:MODULE"
    why: str


# The one list of system packages. `make` needs the "build" ones, `make test` all of them.
REQUIREMENTS = [
    Requirement("build", "python3-venv", "python:ensurepip", "make creates .venv with it"),
    Requirement("build", "libpango-1.0-0", "library:pango-1.0", "WeasyPrint lays out text with Pango"),
    Requirement("build", "libpangoft2-1.0-0", "library:pangoft2-1.0", "WeasyPrint loads fonts through PangoFT2"),
    Requirement("build", "libfontconfig1", "library:fontconfig", "WeasyPrint finds the pinned fonts through fontconfig"),
    Requirement("build", "libharfbuzz-subset0", "library:harfbuzz-subset",
                "font subsets are byte-identical across machines only with the same subsetter "
                "(without it WeasyPrint falls back to fontTools: other bytes, ~3x slower)"),
    Requirement("build", "poppler-utils", "program:pdftotext", "the check stage reads each PDF's text back with pdftotext"),
    Requirement("build", "fonts-noto-core", "file:/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
                "`make fonts` copies the pinned Noto Sans fonts from it (checked against fonts/fonts.lock)"),
    Requirement("build", "fonts-noto-cjk", "file:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                "`make fonts` copies the pinned Noto Sans CJK font from it"),
    Requirement("tests", "default-jre-headless", "program:java",
                "the tests run PDFBox Preflight, the independent PDF/A-1b validator"),
    Requirement("tests", "libpdfbox2-java", "file:/usr/share/java/preflight.jar", "PDFBox Preflight"),
    Requirement("tests", "libactivation-java", "file:/usr/share/java/javax.activation.jar",
                "needed by Preflight on Java 11+"),
    Requirement("tests", "libjaxb-api-java", "file:/usr/share/java/jaxb-api.jar", "needed by Preflight on Java 11+"),
    Requirement("tests", "chromium", "program:chromium",
                "the catalogue is tested in headless Chromium (driven by Playwright)"),
    Requirement("tests", "npm", "program:npm", "the catalogue's accessibility test installs axe-core with it"),
    Requirement("tests", "openssl", "program:openssl",
                "the seal tests check real seals with `openssl cms` and `openssl ts`"),
]


def wanted(for_tests: bool) -> list[Requirement]:
    return [r for r in REQUIREMENTS if r.needed_for == "build" or for_tests]


def present(requirement: Requirement) -> bool:
    kind, _, name = requirement.probe.partition(":")
    if kind == "program":
        return shutil.which(name) is not None
    if kind == "library":
        return ctypes.util.find_library(name) is not None
    if kind == "file":
        return Path(name).is_file()
    if kind == "python":  # python3-venv: Debian's python3 lacks ensurepip without it
        return subprocess.run([sys.executable, "-c", f"import {name}, venv"], capture_output=True).returncode == 0
    raise ValueError(f"unknown probe {requirement.probe!r}")


def missing_packages(requirements: Sequence[Requirement], probe: Callable[[Requirement], bool] = present,
                     pretend_missing: str = "") -> list[Requirement]:
    pretend = {name.strip() for name in pretend_missing.split(",") if name.strip()}
    return [r for r in requirements if r.package in pretend or not probe(r)]


def install_command(packages: Sequence[str], euid: int, sudo_works: bool) -> list[str] | None:
    """The apt-get command to run ourselves, or None when we may not (no root, no password-less sudo)."""
    command = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    if euid == 0:
        return command
    if sudo_works:
        return ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive", *command]
    return None


def sudo_works() -> bool:
    if shutil.which("sudo") is None:
        return False
    return subprocess.run(["sudo", "-n", "true"], stdin=subprocess.DEVNULL, capture_output=True).returncode == 0


def lists_need_update(lists_dir: str = APT_LISTS, now: float | None = None) -> bool:
    """A fresh Debian image has no package lists at all; old ones name versions gone from the mirror."""
    found = glob.glob(os.path.join(lists_dir, "*_Packages*"))
    if not found:
        return True
    newest = max(os.path.getmtime(path) for path in found)
    return (now if now is not None else time.time()) - newest > STALE_AFTER_S


def run_apt(command: list[str], runner: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> int:
    print("  $ " + " ".join(command), flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return runner(command, stdin=subprocess.DEVNULL, env=env).returncode


def install(packages: list[str], command: list[str],
            runner: Callable[..., subprocess.CompletedProcess] = subprocess.run,
            update_first: bool | None = None) -> int:
    prefix = command[: command.index("apt-get")]
    update = [*prefix, "apt-get", "update"]
    if update_first is None:
        update_first = lists_need_update()
    print(f"installing {len(packages)} system package(s) with apt-get (about 1 min on a fresh machine)…",
          flush=True)
    if update_first and run_apt(update, runner) != 0:
        return EXIT_MISSING
    if run_apt(command, runner) == 0:
        return EXIT_OK
    if update_first:
        return EXIT_MISSING
    # Lists present but without the package (or naming a version gone from the mirror): refresh once.
    if run_apt(update, runner) != 0:
        return EXIT_MISSING
    return EXIT_OK if run_apt(command, runner) == 0 else EXIT_MISSING


def explain(missing: Sequence[Requirement], out=sys.stderr) -> None:
    print("Missing system packages (Debian names):", file=out)
    for r in missing:
        print(f"  {r.package:<22} {r.why}", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    for_tests, check_only = "--for-tests" in args, "--check-only" in args
    if sys.version_info < (3, 11):
        print(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]} "
              "(Debian 12 and 13 have it: apt-get install python3)", file=sys.stderr)
        return EXIT_MISSING
    missing = missing_packages(wanted(for_tests), pretend_missing=os.environ.get("STATEMENT_ARCHIVE_PRETEND_MISSING", ""))
    if not missing:
        return EXIT_OK
    explain(missing)
    packages = list(dict.fromkeys(r.package for r in missing))
    manual = f"sudo apt-get update && sudo apt-get install -y --no-install-recommends {' '.join(packages)}"
    if shutil.which("apt-get") is None:
        print(f"This is not a Debian-like system (no apt-get); install the equivalents of: {' '.join(packages)}",
              file=sys.stderr)
        return EXIT_MISSING
    command = None if check_only else install_command(packages, os.geteuid(), sudo_works())
    if command is None:
        print(f"Install them with:  {manual}\nthen run make again.", file=sys.stderr)
        return EXIT_MISSING
    code = install(packages, command)
    if code != EXIT_OK:
        print(f"apt-get could not install them; try by hand:  {manual}", file=sys.stderr)
        return code
    still = missing_packages(missing, pretend_missing="")
    if still:
        print("installed, but still not found: " + " ".join(r.package for r in still), file=sys.stderr)
        return EXIT_MISSING
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
