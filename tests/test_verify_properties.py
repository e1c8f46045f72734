"""Property: no single mutation of a package goes unseen, and the report names it.

One small package is written once per module by our writer; each generated
example copies it to a fresh folder, applies one mutation (a changed byte, a
truncation, a deletion, an added or renamed file, an edited tag-file or
manifest line) and verifies the copy in full. Every example must produce at
least one error naming the file concerned (for an edited manifest: that
manifest or a file whose entry changed). Hypothesis is derandomised, keeps
no database and runs a bounded number of examples, so CI time stays small
and a failure reproduces exactly.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline.archive.package_check import verify_bag

from bagutil import PACKAGE, tamper, write_package_bag

settings.register_profile(
    "mutations", derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
few = settings(settings.get_profile("mutations"), max_examples=25)
many = settings(settings.get_profile("mutations"), max_examples=60)
most = settings(settings.get_profile("mutations"), max_examples=100)

NAME_CHARS = st.sampled_from("abcXYZ019-_. %éß")
NAMES = st.text(NAME_CHARS, min_size=1, max_size=12).filter(lambda n: n not in (".", ".."))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    bag = write_package_bag(tmp_path_factory.mktemp("pristine"))
    assert verify_bag(bag).problems == ()  # the starting point is clean, not even a warning
    return bag


def files_of(bag: Path) -> list[str]:
    return sorted(p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file())


def folders_of(bag: Path) -> list[str]:
    return [""] + sorted(p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_dir())


class Copy:
    """A fresh copy of the pristine bag for one example."""

    def __init__(self, pristine: Path):
        self._tmp = tempfile.TemporaryDirectory(prefix="mutation-")
        self.root = Path(self._tmp.name) / PACKAGE
        shutil.copytree(pristine, self.root)

    def __enter__(self) -> Copy:
        return self

    def __exit__(self, *exc) -> None:
        self._tmp.cleanup()

    def assert_caught(self, *names: str) -> None:
        """At least one error, and one of them names one of *names*."""
        errors = [p for p in verify_bag(self.root).problems if p.severity == "error"]
        assert errors, "mutation went unseen"
        wanted = {f"{PACKAGE}/{name}" for name in names}
        assert {p.file for p in errors} & wanted, (wanted, errors)


def changed_entries(before: bytes, after: bytes) -> set[str]:
    """Paths (as written) on manifest lines present in one version but not the other."""
    old = set(before.replace(b"\r", b"\n").split(b"\n"))
    new = set(after.replace(b"\r", b"\n").split(b"\n"))
    paths = set()
    for line in old ^ new:
        parts = line.decode("utf-8", "replace").split(maxsplit=1)
        if len(parts) == 2:
            paths.add(parts[1].lstrip("*").replace("%25", "%"))
    return paths


@most
@given(data=st.data())
def test_any_byte_changed_in_any_file_is_caught(pristine, data):
    name = data.draw(st.sampled_from(files_of(pristine)), label="file")
    with Copy(pristine) as bag:
        path = bag.root / name
        before = path.read_bytes()
        offset = data.draw(st.integers(0, len(before) - 1), label="offset")
        value = data.draw(st.integers(0, 255).filter(lambda v: v != before[offset]), label="byte")
        after = before[:offset] + bytes([value]) + before[offset + 1:]
        tamper(path, after)
        bag.assert_caught(name, *changed_entries(before, after))


@few
@given(data=st.data())
def test_any_truncation_is_caught(pristine, data):
    name = data.draw(st.sampled_from(files_of(pristine)), label="file")
    with Copy(pristine) as bag:
        path = bag.root / name
        before = path.read_bytes()
        length = data.draw(st.integers(0, len(before) - 1), label="length")
        tamper(path, before[:length])
        bag.assert_caught(name, *changed_entries(before, before[:length]))


@few
@given(data=st.data())
def test_any_deletion_is_caught(pristine, data):
    name = data.draw(st.sampled_from(files_of(pristine)), label="file")
    with Copy(pristine) as bag:
        os.unlink(bag.root / name)
        bag.assert_caught(name)


@few
@given(data=st.data())
def test_any_added_file_is_caught(pristine, data):
    folder = data.draw(st.sampled_from(folders_of(pristine) + ["tags", "data/new"]), label="folder")
    name = data.draw(NAMES, label="name")
    content = data.draw(st.binary(max_size=64), label="content")
    added = f"{folder}/{name}" if folder else name
    with Copy(pristine) as bag:
        path = bag.root / added
        assume(not path.exists())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        bag.assert_caught(added)


@few
@given(data=st.data())
def test_any_renamed_file_is_caught(pristine, data):
    name = data.draw(st.sampled_from(files_of(pristine)), label="file")
    folder = data.draw(st.sampled_from(folders_of(pristine) + ["tags"]), label="to folder")
    new_name = data.draw(NAMES, label="new name")
    target = f"{folder}/{new_name}" if folder else new_name
    with Copy(pristine) as bag:
        assume(not (bag.root / target).exists())
        (bag.root / target).parent.mkdir(parents=True, exist_ok=True)
        os.rename(bag.root / name, bag.root / target)
        bag.assert_caught(name, target)


LINE_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
                    max_size=40)


@few
@given(data=st.data())
def test_any_edited_tag_file_line_is_caught(pristine, data):
    name = data.draw(st.sampled_from(["bagit.txt", "bag-info.txt"]), label="file")
    with Copy(pristine) as bag:
        path = bag.root / name
        before = path.read_bytes()
        lines = before.decode("utf-8").split("\n")[:-1]
        index = data.draw(st.integers(0, len(lines) - 1), label="line")
        label, _, value = lines[index].partition(": ")
        new = data.draw(st.one_of(LINE_TEXT, LINE_TEXT.map(lambda v: f"{label}: {v}"),
                                  st.just(f"{label}: {value} "), st.just(f"{label} : {value}")),
                        label="new line")
        assume(new != lines[index])
        lines[index] = new
        tamper(path, ("\n".join(lines) + "\n").encode("utf-8"))
        bag.assert_caught(name)


@many
@given(data=st.data())
def test_any_edited_manifest_line_is_caught(pristine, data):
    manifests = [n for n in files_of(pristine) if n.endswith(".txt") and "manifest-" in n]
    name = data.draw(st.sampled_from(manifests), label="manifest")
    with Copy(pristine) as bag:
        path = bag.root / name
        before = path.read_bytes()
        lines = before.decode("utf-8").split("\n")[:-1]
        index = data.draw(st.integers(0, len(lines) - 1), label="line")
        digest, path_text = lines[index].split("  ", 1)
        others = [line.split("  ", 1)[1] for line in lines]
        new = data.draw(st.one_of(
            st.text("0123456789abcdef", min_size=len(digest), max_size=len(digest))
              .map(lambda d: f"{d}  {path_text}"),                                # digest
            st.sampled_from(others + ["data/elsewhere.txt", "extra.txt"])
              .map(lambda p: f"{digest}  {p}"),                                   # path
            st.just(f"{digest.upper()}  {path_text}"),                            # same meaning
            st.just(f"{digest}\t{path_text}"),
            st.just(f"{digest} *{path_text}"),
            LINE_TEXT,                                                            # anything
        ), label="new line")
        assume(new != lines[index])
        lines[index] = new
        after = ("\n".join(lines) + "\n").encode("utf-8")
        tamper(path, after)
        bag.assert_caught(name, *changed_entries(before, after))

