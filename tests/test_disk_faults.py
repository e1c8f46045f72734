"""A full disk and a read-only archive: clear errors, nothing half-written.

Uses real small tmpfs mounts, which needs root (CI runs as root); elsewhere
these tests skip and say why.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.cli import main
from statement_factory import write_statement

pytestmark = [pytest.mark.ci_required,
              pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root (CI runs as root)")]


@pytest.fixture()
def mount(tmp_path):
    mounted = []

    def make(name: str, size: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], check=True)
        mounted.append(point)
        return point

    yield make
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out, err=out), out.getvalue()


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _write_statements(folder: Path) -> Path:
    write_statement(folder, "alpha", "Statement text.\n" * 40)
    write_statement(folder, "beta", "外交部发言人表示。\n" * 40, languages=["zh"])
    return folder


@pytest.fixture()
def statements(tmp_path) -> Path:
    return _write_statements(tmp_path / "statements")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """The same two statements rendered once: the build folder tests about the archive's disk start from."""
    root = tmp_path_factory.mktemp("rendered")
    statements = _write_statements(root / "statements")
    assert run("render", "--statements", str(statements), "--build-dir", str(root / "build"), "--quiet")[0] == 0
    return root / "build"


def test_full_disk_gives_a_clear_error_and_leaves_nothing_half_written(tmp_path, statements, mount, rendered):
    build_dir = tmp_path / "build"
    shutil.copytree(rendered, build_dir)  # the disk that fills is the archive's, not the build folder's
    assert run("render", "--statements", str(statements), "--build-dir", str(build_dir), "--quiet")[0] == 0
    payload = sum(p.stat().st_size for p in (build_dir / "pdf").glob("*.pdf"))
    archive = mount("archive", str(payload // 2))  # room for half of what the package needs
    code, out = run("build", "--statements", str(statements), "--build-dir", str(build_dir),
                    "--archive", str(archive), "--quiet")
    assert code == 4, out
    assert "No space left on device" in out and str(archive) in out
    assert [p.name for p in archive.iterdir() if p.name != ".lock"] == []


def test_full_build_folder_gives_a_clear_error(tmp_path, statements, mount):
    build_dir = mount("build", "40k")
    code, out = run("render", "--statements", str(statements), "--build-dir", str(build_dir), "--quiet")
    assert code == 4, out
    assert "No space left on device" in out
    # Nothing half-written is left, and every PDF a later step would trust
    # (one with a render key beside it) is intact.
    assert not list((build_dir / "pdf").glob(".*.partial"))
    for sidecar in (build_dir / "pdf").glob("*.render.json"):
        record = json.loads(sidecar.read_text())
        pdf = sidecar.with_name(sidecar.name.replace(".render.json", ".pdf"))
        assert hashlib.sha256(pdf.read_bytes()).hexdigest() == record["pdf_sha256"]


def test_read_only_archive_gives_a_clear_error_and_stays_unchanged(tmp_path, statements, mount, rendered):
    archive = mount("archive", "8m")
    build_dir = tmp_path / "build"
    shutil.copytree(rendered, build_dir)
    assert run("build", "--statements", str(statements), "--build-dir", str(build_dir),
               "--archive", str(archive), "--quiet", "--date", "2026-11-28")[0] == 0
    before = tree(archive)
    subprocess.run(["mount", "-o", "remount,ro", str(archive)], check=True)
    (statements / "alpha.txt").write_text("Changed text.\n")
    code, out = run("build", "--statements", str(statements), "--build-dir", str(build_dir),
                    "--archive", str(archive), "--quiet", "--date", "2026-11-29")
    assert code == 4, out
    assert "Read-only file system" in out and str(archive) in out
    assert tree(archive) == before
    assert run("verify", "--archive", str(archive))[0] == 0
