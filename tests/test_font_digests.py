"""The pinned fonts' check (pipeline/render/fonts.py, verify_fonts): every font
must have its pinned bytes. With a build folder, a font whose identity is the
one it had when its bytes last matched is not hashed again; any other is
hashed, and refused if its bytes differ. A font changed in the last seconds
(the file system clock's tick) is hashed again next time too."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

import pipeline.render.fonts as fonts
from pipeline.core.errors import EnvironmentProblem
from pipeline.render.fonts import FONT_DIGESTS_NAME, LOCK_NAME, verify_fonts

FONT = b"\x00\x01\x00\x00 not a real font, but pinned bytes all the same"


@pytest.fixture()
def fonts_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "fonts"
    folder.mkdir()
    (folder / "Pinned-Regular.ttf").write_bytes(FONT)
    digest = hashlib.sha256(FONT).hexdigest()
    (folder / LOCK_NAME).write_text(
        f"Pinned-Regular.ttf\t{digest}\tfonts-test\t1.0\tPinned-Regular.ttf\tOFL-1.1\n", encoding="utf-8")
    return folder


@pytest.fixture()
def hashed(monkeypatch) -> list[str]:
    """The fonts whose bytes are hashed."""
    seen: list[str] = []
    real = fonts._sha256

    def counting(path: Path) -> str:
        seen.append(path.name)
        return real(path)

    monkeypatch.setattr(fonts, "_sha256", counting)
    return seen


def test_a_font_that_matched_is_not_hashed_again_while_its_identity_holds(
        fonts_dir, tmp_path, hashed, monkeypatch) -> None:
    build = tmp_path / "build"
    monkeypatch.setattr(fonts, "settled", lambda info: True)  # as fonts installed long ago are
    verify_fonts(fonts_dir, build)
    assert hashed == ["Pinned-Regular.ttf"]  # control: the first check reads the font
    assert (build / FONT_DIGESTS_NAME).is_file()
    verify_fonts(fonts_dir, build)
    assert hashed == ["Pinned-Regular.ttf"]  # the second does not
    verify_fonts(fonts_dir)
    assert hashed == ["Pinned-Regular.ttf"] * 2  # without a build folder, every check reads it


def test_a_font_changed_in_place_is_hashed_and_refused_even_with_its_old_times(
        fonts_dir, tmp_path, hashed, monkeypatch) -> None:
    build = tmp_path / "build"
    monkeypatch.setattr(fonts, "settled", lambda info: True)
    verify_fonts(fonts_dir, build)
    font = fonts_dir / "Pinned-Regular.ttf"
    before = font.stat()
    font.write_bytes(FONT[:-1] + b"?")  # same size
    os.utime(font, ns=(before.st_atime_ns, before.st_mtime_ns))  # the change time moves regardless
    with pytest.raises(EnvironmentProblem, match="differs from its pinned SHA-256"):
        verify_fonts(fonts_dir, build)
    assert hashed == ["Pinned-Regular.ttf"] * 2
    font.write_bytes(FONT)  # control: the pinned bytes again pass (and are hashed: a new identity)
    verify_fonts(fonts_dir, build)
    assert hashed == ["Pinned-Regular.ttf"] * 3


def test_a_font_changed_in_the_last_seconds_is_not_trusted_by_its_identity(fonts_dir, tmp_path, hashed) -> None:
    """The fixture's font was written just now: within a clock tick, a change keeps
    the times, so its identity is not kept and the next check hashes it again."""
    build = tmp_path / "build"
    verify_fonts(fonts_dir, build)
    verify_fonts(fonts_dir, build)
    assert hashed == ["Pinned-Regular.ttf"] * 2  # (the first test is the control: settled, it is kept)
    assert not fonts.settled((fonts_dir / "Pinned-Regular.ttf").stat())
    assert fonts.settled(os.stat_result((0,) * 10, {"st_mtime_ns": 0, "st_ctime_ns": 0}))  # control: a file last changed in 1970 has settled


@pytest.mark.parametrize("damage", ["not json", "[]", '{"fingerprint": "another lock"}', None])
def test_a_damaged_or_foreign_record_only_costs_hashing(fonts_dir, tmp_path, hashed, monkeypatch, damage) -> None:
    build = tmp_path / "build"
    monkeypatch.setattr(fonts, "settled", lambda info: True)
    verify_fonts(fonts_dir, build)
    record = build / FONT_DIGESTS_NAME
    if damage is None:  # a record naming a wrong identity for the font
        stored = json.loads(record.read_text(encoding="utf-8"))
        stored["fonts"]["Pinned-Regular.ttf"][1] += 1
        record.write_text(json.dumps(stored), encoding="utf-8")
    else:
        record.write_text(damage, encoding="utf-8")
    verify_fonts(fonts_dir, build)
    assert hashed == ["Pinned-Regular.ttf"] * 2
    verify_fonts(fonts_dir, build)  # and the record is made good again
    assert hashed == ["Pinned-Regular.ttf"] * 2


def test_a_missing_font_is_refused_whatever_was_kept(fonts_dir, tmp_path, monkeypatch) -> None:
    build = tmp_path / "build"
    monkeypatch.setattr(fonts, "settled", lambda info: True)
    verify_fonts(fonts_dir, build)  # control: present, it passes
    (fonts_dir / "Pinned-Regular.ttf").unlink()
    with pytest.raises(EnvironmentProblem, match="is missing"):
        verify_fonts(fonts_dir, build)
