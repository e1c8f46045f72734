"""Packages as tar files: deterministic, and unsafe tars are refused whole."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.core.errors import InputError
from pipeline.export.tar import read_tar, write_tar
from pipeline.archive.package_check import verify_bag
from statement_factory import write_statement


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("serialize")
    write_statement(root / "statements", "alpha", "Text of the statement.\n")
    code = main(["build", "--statements", str(root / "statements"), "--archive", str(root / "archive"),
                 "--build-dir", str(root / "build"), "--date", "2026-11-28", "--quiet"], out=io.StringIO())
    assert code == 0
    return root / "archive" / "statements-2026-11-28-v0001"


def test_round_trip_is_deterministic_and_verifies(package, tmp_path):
    first = write_tar(package, tmp_path / "a.tar")
    second = write_tar(package, tmp_path / "b.tar")
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first) as archive:
        names = archive.getnames()
    assert names[0] == package.name and all(n == package.name or n.startswith(package.name + "/") for n in names)
    extracted = read_tar(first, tmp_path / "out")
    assert extracted.name == package.name
    assert verify_bag(extracted).ok
    original = {p.relative_to(package): hashlib.sha256(p.read_bytes()).digest() for p in package.rglob("*") if p.is_file()}
    copied = {p.relative_to(extracted): hashlib.sha256(p.read_bytes()).digest() for p in extracted.rglob("*") if p.is_file()}
    assert original == copied


def hostile_tar(path: Path, top: str, evil: tarfile.TarInfo, data: bytes = b"x") -> Path:
    with tarfile.open(path, "w") as archive:
        folder = tarfile.TarInfo(top)
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)
        ok = tarfile.TarInfo(f"{top}/bagit.txt")
        ok.size = 3
        archive.addfile(ok, io.BytesIO(b"abc"))
        if evil.isfile():
            evil.size = len(data)
            archive.addfile(evil, io.BytesIO(data))
        else:
            archive.addfile(evil)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


@pytest.mark.parametrize("evil, reason", [
    (_member("/etc/evil"), "absolute"),
    (_member("pkg/../../evil"), "'..'"),
    (_member("pkg/data/../../evil"), "'..'"),
    (_member("pkg/link", tarfile.SYMTYPE, "/etc/passwd"), "not a regular file"),
    (_member("pkg/hard", tarfile.LNKTYPE, "/etc/passwd"), "not a regular file"),
    (_member("pkg/fifo", tarfile.FIFOTYPE), "not a regular file"),
    (_member("other/file"), "outside the package folder"),
    (_member("pkg/bagit.txt"), "listed twice"),
])
def test_unsafe_members_refuse_the_whole_tar(tmp_path, evil, reason):
    tar = hostile_tar(tmp_path / "evil.tar", "pkg", evil)
    with pytest.raises(InputError, match=reason):
        read_tar(tar, tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    assert not (tmp_path.parent / "evil").exists()


def test_cli_export_and_unpack(package, tmp_path):
    out = io.StringIO()
    tar = tmp_path / "p.tar"
    assert main(["export", package.name, "--archive", str(package.parent), "--output", str(tar)], out=out) == 0
    assert main(["unpack", str(tar), "--into", str(tmp_path / "copy")], out=out) == 0
    evil = hostile_tar(tmp_path / "evil.tar", "pkg", _member("/etc/evil"))
    err = io.StringIO()
    assert main(["unpack", str(evil), "--into", str(tmp_path / "copy2")], out=io.StringIO(), err=err) == 1
    assert "absolute path" in err.getvalue()


def test_cli_export_defaults_to_exports_and_takes_a_folder(package, tmp_path, monkeypatch, project_dir):
    monkeypatch.chdir(tmp_path)
    args = ["export", package.name, "--archive", str(package.parent), "--json"]
    out = io.StringIO()
    assert main(args, out=out) == 0
    default = tmp_path / "exports" / f"{package.name}.tar"
    assert default.is_file() and json.loads(out.getvalue())["tar"] == f"exports/{package.name}.tar"
    assert not (tmp_path / f"{package.name}.tar").exists()  # never the project root any more
    folder = tmp_path / "usb"
    folder.mkdir()
    assert main([*args, "--output", str(folder)], out=io.StringIO()) == 0
    assert (folder / f"{package.name}.tar").read_bytes() == default.read_bytes()
    assert main([*args, "--output", str(tmp_path / "new-folder") + "/"], out=io.StringIO()) == 0
    assert (tmp_path / "new-folder" / f"{package.name}.tar").read_bytes() == default.read_bytes()
    ignored = subprocess.run(["git", "check-ignore", "-q", "exports/x.tar"], cwd=project_dir)
    assert ignored.returncode == 0, "exports/ must be ignored by git"
