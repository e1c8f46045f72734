"""A saved page's `_files/` folder ("Web page, complete") is archived as evidence with its capture.

Byte for byte into statements/<id>.capture_files/ and into the package beside
the capture, covered by the manifests (bagit-python validates the bag); never
followed (links are left out and said so), never used by the renderer (the
PDF is the same bytes with the folder or without it, and holds no image).
Each refusal has its control beside it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import bagit
import pytest
from pypdf import PdfReader

from capture_factory import ministry_page

from pipeline.cli import main
from pipeline.importer import captures
from pipeline.importer.stage import ImportOptions, import_captures
from pipeline.render import RenderConfig, render_statements
from pipeline.validate import validate_statements

PROJECT = Path(__file__).resolve().parents[1]
SCHEMA = PROJECT / "schemas" / "statement.schema.json"
ALL_BYTES = bytes(range(256)) * 3  # every byte value: nothing may be decoded or re-encoded


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def saved_page(where: Path, name: str = "cooperation") -> tuple[Path, Path]:
    """A page as a browser saves it: the HTML names its own files in <name>_files/."""
    page = where / f"{name}.html"
    html = ministry_page().replace(
        b"</head>", f'<link rel="stylesheet" href="{name}_files/style.css"></head>'.encode()).replace(
        b"<main>", f'<main><img src="{name}_files/images/photo.png" alt="">'.encode())
    page.write_bytes(html)
    resources = where / f"{name}_files"
    (resources / "images").mkdir(parents=True)
    (resources / "style.css").write_bytes(b"body { background: url(images/photo.png); color: red }\n")
    (resources / "images" / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + ALL_BYTES)
    (resources / "app.js").write_bytes(b"fetch('https://tracker.example/'); // data, never run\n")
    return page, resources


@pytest.fixture()
def into(tmp_path: Path) -> Path:
    folder = tmp_path / "statements"
    folder.mkdir()
    return folder


def reviewed(into: Path, identifier: str, archive: Path) -> None:
    path = into / f"{identifier}.json"
    metadata = json.loads(path.read_text())
    metadata["rights"]["statement"] = "Public domain (test data)"
    path.write_text(json.dumps(metadata))
    code, out, err = cli("review", identifier, "--statements", str(into), "--yes", "--archive", str(archive))
    assert code == 0, err


def test_the_files_folder_is_archived_byte_for_byte_and_validated(into, tmp_path):
    page, resources = saved_page(tmp_path)
    report = import_captures([page], ImportOptions(into, workers=1))
    assert [i["outcome"] for i in report.items] == ["drafted"]
    copy = into / "cooperation.capture_files"
    assert digests(copy) == digests(resources) and len(digests(copy)) == 3
    record = json.loads((into / "cooperation.json").read_text())["capture"]["resources"]
    assert record["folder"] == "cooperation.capture_files" and record["saved_as"] == "cooperation_files"
    assert {f["path"]: f["sha256"] for f in record["files"]} == digests(resources)
    assert {f["path"]: f["bytes"] for f in record["files"]}["images/photo.png"] == 8 + len(ALL_BYTES)
    reviewed(into, "cooperation", tmp_path / "archive")
    statements, result = validate_statements(into, SCHEMA)
    assert result.ok, result.problems  # the folder's files are neither statements nor "other" files (V028)
    (statement,) = statements
    assert sorted(inside for _, _, inside in statement.capture_resources) == [
        "cooperation.capture_files/app.js", "cooperation.capture_files/images/photo.png",
        "cooperation.capture_files/style.css"]

    # Each change named: a file altered, removed, added, a link put in.
    photo = copy / "images" / "photo.png"
    original = photo.read_bytes()
    photo.write_bytes(original[:-1])
    assert {(p.code, p.pointer) for p in validate_statements(into, SCHEMA)[1].errors} == {
        ("V033", "/capture/resources/files/1/sha256")}
    photo.unlink()
    assert {(p.code, p.pointer) for p in validate_statements(into, SCHEMA)[1].errors} == {
        ("V032", "/capture/resources/files/1")}
    photo.write_bytes(original)
    (copy / "extra.gif").write_bytes(b"GIF89a")
    assert {(p.code, p.pointer) for p in validate_statements(into, SCHEMA)[1].errors} == {
        ("V033", "/capture/resources")}
    (copy / "extra.gif").unlink()
    (copy / "images" / "elsewhere").symlink_to("/etc")
    errors = validate_statements(into, SCHEMA)[1].errors
    assert [(p.code, "link" in p.message) for p in errors] == [("V033", True)]
    (copy / "images" / "elsewhere").unlink()
    assert validate_statements(into, SCHEMA)[1].ok  # the control: restored, valid again


def test_the_package_carries_the_folder_and_bagit_validates_it(into, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795856400")
    page, resources = saved_page(tmp_path)
    import_captures([page], ImportOptions(into, workers=1))
    archive = tmp_path / "archive"
    reviewed(into, "cooperation", archive)
    code, out, err = cli("build", "--statements", str(into), "--archive", str(archive),
                         "--build-dir", str(tmp_path / "build"), "--date", "2026-11-28", "--workers", "1", "--quiet")
    assert code == 0, out + err
    (package,) = sorted(archive.glob("statements-*"))
    folder = package / "data" / "cooperation"
    assert digests(folder / "cooperation.capture_files") == digests(resources)
    assert (folder / "cooperation.capture.html").read_bytes() == page.read_bytes()
    manifest = dict(reversed(line.split(maxsplit=1)) for line in
                    (package / "manifest-sha256.txt").read_text().splitlines())
    for inside, digest in digests(resources).items():
        assert manifest[f"data/cooperation/cooperation.capture_files/{inside}"] == digest
    index = json.loads((package / "data" / "index.json").read_text())["statements"][0]["files"]
    assert index["capture resource cooperation.capture_files/images/photo.png"] == \
        "data/cooperation/cooperation.capture_files/images/photo.png"
    bagit.Bag(str(package)).validate()  # the Library of Congress's tool: every file against the manifests
    assert cli("verify", "--archive", str(archive), "--quiet")[0] == 0
    # A changed resource in the package is caught by the independent tool too (its negative control).
    tampered = tmp_path / "tampered"
    shutil.copytree(package, tampered)
    css = tampered / "data" / "cooperation" / "cooperation.capture_files" / "style.css"
    css.write_bytes(css.read_bytes().replace(b"red", b"tan"))  # the same size: only the digest tells
    with pytest.raises(bagit.BagValidationError, match="style.css"):
        bagit.Bag(str(tampered)).validate()


def test_the_renderer_uses_nothing_from_the_folder(into, tmp_path, fonts_dir):
    """The same PDF bytes with the folder there and with it gone (a renderer that read it would fail); no image."""
    page, resources = saved_page(tmp_path)
    assert b"cooperation_files/images/photo.png" in page.read_bytes()  # a browser would load it
    import_captures([page], ImportOptions(into, workers=1))
    reviewed(into, "cooperation", tmp_path / "archive")
    statements, result = validate_statements(into, SCHEMA)
    assert result.ok and statements[0].capture_resources
    config = RenderConfig(PROJECT / "templates", fonts_dir, tmp_path / "work")
    with_folder, report = render_statements(statements, tmp_path / "a", config, workers=1)
    assert report.ok, report.problems
    shutil.rmtree(into / "cooperation.capture_files")
    without, report = render_statements(statements, tmp_path / "b", config, workers=1)
    assert report.ok, report.problems
    assert with_folder[0].pdf_sha256 == without[0].pdf_sha256
    pdf = with_folder[0].pdf_path.read_bytes()
    for pdf_page in PdfReader(io.BytesIO(pdf)).pages:
        objects = pdf_page.get("/Resources", {}).get("/XObject", {}) or {}
        assert not any(o.get_object().get("/Subtype") == "/Image" for o in objects.values())
    assert b"tracker.example" not in pdf


def test_links_in_the_folder_are_not_followed_and_said_so(into, tmp_path):
    page, resources = saved_page(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not part of the page")
    (resources / "secret").symlink_to(secret)
    report = import_captures([page], ImportOptions(into, workers=1))
    assert [i["outcome"] for i in report.items] == ["drafted"]
    assert [p.code for p in report.problems if p.code == "I012"] == ["I012"]
    copy = into / "cooperation.capture_files"
    assert not (copy / "secret").exists() and sorted(digests(copy)) == ["app.js", "images/photo.png", "style.css"]
    record = json.loads((into / "cooperation.json").read_text())["capture"]["resources"]
    assert record["not_archived"][0]["path"] == "secret" and "never followed" in record["not_archived"][0]["why"]
    assert any("secret" in item for item in json.loads((into / "cooperation.json").read_text())
               ["review"]["needs_attention"])


def test_an_absurd_folder_is_refused_naming_it(into, tmp_path, monkeypatch):
    page, resources = saved_page(tmp_path)
    monkeypatch.setattr(captures, "MAX_RESOURCE_FILES", 2)
    report = import_captures([page], ImportOptions(into, workers=1))
    assert [(p.code, p.file) for p in report.problems] == [("I011", str(page))]
    assert "cooperation_files" in report.problems[0].message and "move it aside" in report.problems[0].message
    assert list(into.iterdir()) == []  # nothing written
    monkeypatch.setattr(captures, "MAX_RESOURCE_FILES", 3)  # the control: at the limit, imported
    report = import_captures([page], ImportOptions(into, workers=1))
    assert [i["outcome"] for i in report.items] == ["drafted"]


def test_a_folder_left_by_a_batch_cut_short_is_never_written_into(into, tmp_path):
    page, resources = saved_page(tmp_path)
    left = into / "cooperation.capture_files"
    left.mkdir()
    (left / "style.css").symlink_to(tmp_path / "outside.css")
    report = import_captures([page], ImportOptions(into, workers=1))
    assert [i["identifier"] for i in report.items] == ["cooperation-2"]
    assert not (tmp_path / "outside.css").exists()
    assert digests(into / "cooperation-2.capture_files") == digests(resources)
    assert os.path.islink(left / "style.css")
