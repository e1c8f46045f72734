#!/usr/bin/env python3
"""Install the pinned fonts into fonts/ and prove they are the pinned bytes.

Each font listed in fonts/fonts.lock is taken, in this order, from
  1. fonts/ itself (already installed: only the digest is checked),
  2. for a Debian source: the system copy of its package (/usr/share/fonts/...),
     else the exact package version, downloaded with `apt-get download`
     (no root needed) and unpacked with `dpkg-deb -x`, else the same .deb from
     the pool of the Debian mirror apt is set up with, for a release whose own
     package is another version (Debian 13: the pool still holds Debian 12's);
  3. for a `pypi:NAME` source: the exact wheel, fetched with
     `python -m pip download --no-deps` and the file read out of it.
A file whose SHA-256 differs from the lock is never used. The fonts an archive
pinned itself (fonts/extra.lock, `statement-archive fonts add`) cannot be
fetched again: they are only checked. Standard library only (pip is used as a
program, for the PyPI sources).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "fonts"
LOCK = FONTS / "fonts.lock"
EXTRA_LOCK = FONTS / "extra.lock"

# Where each package's .deb lies in Debian's pool (by source package). The
# bytes are trusted only through fonts.lock's SHA-256 of each font file.
POOL_FOLDERS = {"fonts-noto-core": "main/f/fonts-noto", "fonts-noto-cjk": "main/f/fonts-noto-cjk"}
APT_SOURCES = (Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*.list")),
               *sorted(Path("/etc/apt/sources.list.d").glob("*.sources")))


def apt_mirrors() -> list[str]:
    """The Debian archives apt uses (not the security archive), from its sources files."""
    found: list[str] = []
    for source in APT_SOURCES:
        try:
            text = source.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split("#", 1)[0].split()
            if words[:1] == ["URIs:"]:
                found += words[1:]
            elif words[:1] == ["deb"]:
                found += [w for w in words[1:] if "://" in w][:1]
    mirrors = [uri.rstrip("/") for uri in found if uri.rstrip("/").endswith("/debian")]
    return list(dict.fromkeys(mirrors))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_lock(lock: Path = LOCK) -> list[tuple[str, str, str, str, str]]:
    """(file, sha256, source, version, path-in-source); the licence column is the renderer's."""
    rows = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, digest, source, version, inside, _licence = line.split("\t")
            rows.append((name, digest, source, version, inside))
    return rows


def copy_verified(source: Path, name: str, expected: str) -> bool:
    if not source.is_file() or sha256(source) != expected:
        return False
    target = FONTS / name
    partial = target.with_name(name + ".partial")
    shutil.copyfile(source, partial)
    if sha256(partial) != expected:
        partial.unlink()
        return False
    partial.replace(target)
    return True


def from_debian_archive(package: str, version: str, inside: str, name: str, expected: str) -> bool:
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        return False
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["apt-get", "download", f"{package}={version}"],
            cwd=tmp, capture_output=True, text=True,
        )
        if done.returncode != 0:
            print(f"  apt-get download {package}={version} failed: {done.stderr.strip()}", file=sys.stderr)
            return False
        deb = next(Path(tmp).glob("*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(Path(tmp) / "root")], check=True)
        return copy_verified(Path(tmp) / "root" / inside.lstrip("/"), name, expected)


_POOL_TMP = None  # one download per package per run, unpacked here
_POOL_ROOTS: dict[str, Path | None] = {}


def from_debian_pool(package: str, version: str, inside: str, name: str, expected: str) -> bool:
    global _POOL_TMP
    if package not in _POOL_ROOTS:
        if _POOL_TMP is None:
            _POOL_TMP = tempfile.TemporaryDirectory()
        _POOL_ROOTS[package] = _download_from_pool(package, version, Path(_POOL_TMP.name) / package)
    root = _POOL_ROOTS[package]
    return root is not None and copy_verified(root / inside.lstrip("/"), name, expected)


def _download_from_pool(package: str, version: str, work: Path) -> Path | None:
    folder = POOL_FOLDERS.get(package)
    if folder is None or not shutil.which("dpkg-deb"):
        return None
    work.mkdir(parents=True)
    deb = work / f"{package}_{version.split(':', 1)[-1]}_all.deb"  # file names drop the epoch
    for mirror in apt_mirrors():
        url = f"{mirror}/pool/{folder}/{deb.name}"
        print(f"  downloading {url} (this release has another version of {package}; a minute or two)…",
              file=sys.stderr, flush=True)
        try:
            with urllib.request.urlopen(url, timeout=60) as response, deb.open("wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as exc:
            print(f"  {url}: {exc}", file=sys.stderr)
            continue
        if subprocess.run(["dpkg-deb", "-x", str(deb), str(work / "root")]).returncode == 0:
            return work / "root"
    return None


def from_pypi_wheel(project: str, version: str, inside: str, name: str, expected: str) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
             "--dest", tmp, f"{project}=={version}"],
            capture_output=True, text=True,
        )
        wheels = sorted(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            print(f"  pip download {project}=={version} failed: {done.stderr.strip()[-300:]}", file=sys.stderr)
            return False
        with zipfile.ZipFile(wheels[0]) as wheel:
            try:
                data = wheel.read(inside)
            except KeyError:
                return False
        extracted = Path(tmp) / "font"
        extracted.write_bytes(data)
        return copy_verified(extracted, name, expected)


def install(name: str, expected: str, source: str, version: str, inside: str) -> bool:
    if source.startswith("pypi:"):
        return from_pypi_wheel(source.removeprefix("pypi:"), version, inside, name, expected)
    return (copy_verified(Path(inside), name, expected)
            or from_debian_archive(source, version, inside, name, expected)
            or from_debian_pool(source, version, inside, name, expected))


def main() -> int:
    missing = []
    for name, expected, source, version, inside in read_lock():
        target = FONTS / name
        if target.is_file() and sha256(target) == expected:
            continue
        if target.exists():
            print(f"  {target.relative_to(ROOT)}: SHA-256 differs from fonts.lock; replacing it", file=sys.stderr)
        if install(name, expected, source, version, inside):
            print(f"  installed fonts/{name} ({source} {version}, sha256 verified)")
            continue
        missing.append((name, source, version))
    extra_wrong = []
    if EXTRA_LOCK.is_file():
        for name, expected, *_ in read_lock(EXTRA_LOCK):
            target = FONTS / name
            if not target.is_file() or sha256(target) != expected:
                extra_wrong.append(name)
    if missing:
        print("Pinned fonts could not be installed:", file=sys.stderr)
        for name, source, version in missing:
            what = f"PyPI project {source[5:]}" if source.startswith("pypi:") else f"Debian package {source}"
            print(f"  fonts/{name}: needs {what} version {version}", file=sys.stderr)
        packages = " ".join(sorted({f"{p}={v}" for _, p, v in missing if not p.startswith("pypi:")}))
        if packages:
            print(f"Install them with:  sudo apt-get update && sudo apt-get install {packages}", file=sys.stderr)
    for name in extra_wrong:
        print(f"  fonts/{name} (fonts/extra.lock) is missing or differs from its pinned SHA-256; it cannot be "
              "fetched: restore it from version control or pin it again with `statement-archive fonts add`",
              file=sys.stderr)
    return 1 if missing or extra_wrong else 0


if __name__ == "__main__":
    sys.exit(main())
