"""The render store (pipeline/render/store.py): a PDF is reused only for its
exact render key and only while it is the file the store wrote. A file that is
provably that one (same inode, size, modification and change times) is not
read again; any other is read and hashed, and refused if its bytes differ."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import pipeline.render.store as store
from bagutil import make_statement
from pipeline.render.store import RenderKey, load_rendered, store_pdf

PDF = b"%PDF-1.7\n% the stored bytes\n%%EOF\n"
# Kernels before multigrain timestamps (Linux 6.13) stamp files from a clock
# that ticks every few milliseconds: a change within the same tick as the
# store would keep its times. Tests wait one tick; a build changes nothing that fast.
TICK = 0.05


@pytest.fixture()
def stored(tmp_path: Path):
    statement = make_statement(tmp_path / "statements", "alpha").statement
    key = RenderKey.of(statement, "renderer-fingerprint", "3a")
    out = tmp_path / "pdf"
    kept = store_pdf(statement, out, key, PDF)
    return statement, key, out, kept


@pytest.fixture()
def reads(monkeypatch) -> list[str]:
    """The PDFs whose bytes are read."""
    seen: list[str] = []
    real = Path.read_bytes

    def counting(self: Path) -> bytes:
        if self.suffix == ".pdf":
            seen.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", counting)
    return seen


def test_the_file_the_store_wrote_is_reused_without_reading_it(stored, reads) -> None:
    statement, key, out, kept = stored
    again = load_rendered(statement, out, key)
    assert again == kept and reads == []
    assert load_rendered(statement, out, RenderKey.of(statement, "another-renderer", "3a")) is None  # its key only


def test_a_file_changed_in_place_is_hashed_and_refused_even_with_its_old_times(stored, reads) -> None:
    statement, key, out, kept = stored
    before = kept.pdf_path.stat()
    time.sleep(TICK)
    with open(kept.pdf_path, "r+b") as handle:  # same size, same inode
        handle.write(b"%PDF-1.7\n% other  bytes")
    os.utime(kept.pdf_path, ns=(before.st_atime_ns, before.st_mtime_ns))  # the times a program can set back
    assert kept.pdf_path.stat().st_size == before.st_size
    assert load_rendered(statement, out, key) is None
    assert reads == ["alpha.pdf"]


def test_a_copy_of_the_same_bytes_is_hashed_and_accepted(stored, reads, tmp_path: Path) -> None:
    statement, key, out, kept = stored
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("alpha.pdf", "alpha.render.json"):
        (copy / name).write_bytes((out / name).read_bytes())
    reads.clear()
    again = load_rendered(statement, copy, key)
    assert again is not None and again.pdf_sha256 == kept.pdf_sha256 and reads == ["alpha.pdf"]


def test_a_sidecar_without_the_file_s_identity_is_read_as_before(stored, reads) -> None:
    """Sidecars written before the identity was kept: the bytes are hashed."""
    import json

    statement, key, out, kept = stored
    sidecar = out / "alpha.render.json"
    record = json.loads(sidecar.read_text(encoding="utf-8"))
    del record["stat"]
    sidecar.write_text(json.dumps(record), encoding="utf-8")
    assert load_rendered(statement, out, key) == kept and reads == ["alpha.pdf"]


def test_the_identity_names_what_a_rewrite_changes(stored) -> None:
    _, _, _, kept = stored
    before = store._identity(kept.pdf_path)
    time.sleep(TICK)
    kept.pdf_path.chmod(0o600)  # even a chmod: the change time moves
    assert store._identity(kept.pdf_path) != before
