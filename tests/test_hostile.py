"""Hostile and broken input through the real command line (issue 3, part 3; §5 links).

The corpus is in ``tests/hostile/corpus.py``: every case writes real files
and states its exact outcome. Invalid input must give exit 1, the problems
expected (code, file, JSON pointer) and no package. Valid but dangerous
content is built in one run and must come out as text.

Isolation is proved, not assumed, for every case:

1. a local HTTP server records every request: it must receive none;
2. a canary file outside the project, referenced by links, ``file://`` URLs,
   CSS, Markdown images and ``{% include %}``, is watched with inotify: it must
   never be opened or read (its folder is watched too, so listing it counts);
3. every package already in the archive is unchanged byte for byte.

The positive controls show that the server and the watch do see a leak, so
each proof can fail.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from hostile.corpus import DANGEROUS, INVALID, Env, body, dangerous_metadata, fill, meta
from hostile.inotify import Watch
from recording_server import recording_http_server
from statement_factory import write_statement

from pipeline.cli import main
from pipeline.validate import DEFAULT_MAX_BODY_BYTES, validate_statements

PROJECT = Path(__file__).resolve().parents[1]
SCHEMA = PROJECT / "schemas" / "statement.schema.json"
DATE = "2024-06-01"


# --- the three witnesses -------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    with recording_http_server() as witness:
        yield witness


@pytest.fixture(scope="module")
def env(tmp_path_factory, server):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "canary.txt").write_text("canary: nobody may read this\n")
    (outside / "canary.json").write_text('{"identifier": broken')  # a V001 if the folder were ever descended
    return Env(base=server[0], canary=outside / "canary.txt", outside=outside)


@pytest.fixture(scope="module")
def watch(env):
    watch = Watch(env.canary, env.outside)  # added after the canary was written
    yield watch
    watch.close()


def packages(archive: Path) -> dict[str, str]:
    """relative path → sha256 of every file and folder of every package in ``archive``."""
    tree = {}
    for package in sorted(archive.glob("statements-*")):
        for path in sorted([package, *package.rglob("*")]):
            key = path.relative_to(archive).as_posix()
            tree[key] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
    return tree


@pytest.fixture(scope="module")
def archive(tmp_path_factory, fonts_dir):
    """An archive holding one good package, built by the CLI."""
    root = tmp_path_factory.mktemp("archived")
    write_statement(root / "statements", "archived-good", "A statement archived before the attack.\n")
    code, report, _ = cli("build", root / "statements", root / "archive", root / "build")
    assert code == 0 and report["package"]["created"], report
    tree = packages(root / "archive")
    assert len(tree) > 5
    shutil.copytree(root / "archive", root / "pristine", symlinks=True)
    return root / "archive", tree


def cli(command: str, statements: Path, archive: Path, build_dir: Path) -> tuple[int, dict, str]:
    out, err = io.StringIO(), io.StringIO()
    args = [command, "--statements", str(statements), "--archive", str(archive), "--json", "--quiet"]
    if command == "build":
        args += ["--build-dir", str(build_dir), "--date", DATE]
    code = main(args, out=out, err=err)
    return code, json.loads(out.getvalue()), out.getvalue() + err.getvalue()


def witnesses(server, watch, archive) -> dict[str, object]:
    """What the three witnesses saw; each is reset, so one leak fails one case, not every later one."""
    seen = {"requests": list(server[1]), "canary events": watch.events(),
            "archive unchanged": packages(archive[0]) == archive[1]}
    server[1].clear()
    if not seen["archive unchanged"]:
        shutil.rmtree(archive[0])
        shutil.copytree(archive[0].with_name("pristine"), archive[0], symlinks=True)
    return seen


ISOLATED = {"requests": [], "canary events": [], "archive unchanged": True}


# --- positive controls: each witness can fail ----------------------------------------

def test_the_witnesses_see_a_leak(tmp_path, env, server, watch):
    assert watch.events() == []
    link = tmp_path / "link.txt"
    link.symlink_to(env.canary)
    assert link.read_bytes().startswith(b"canary")  # what validation did before links were refused
    events = watch.events()
    assert (str(env.canary), "OPEN") in events and (str(env.canary), "ACCESS") in events
    list(os.scandir(env.outside))
    assert (str(env.outside), "OPEN (folder)") in watch.events()
    with urllib.request.urlopen(f"{env.base}/control") as response:
        assert response.status == 200
    assert server[1] == ["GET /control"]
    server[1].clear()


def test_the_watch_sees_the_pipeline_read_a_file(tmp_path, env, watch, server):
    """A hard link is the canary's own inode under another name: validation reads it, the watch fires."""
    folder = tmp_path / "statements"
    folder.mkdir()
    meta(folder, "hard")
    os.link(env.canary, folder / "hard.txt")
    code, report, _ = cli("validate", folder, tmp_path / "archive", tmp_path / "build")
    assert code == 0, report
    assert (str(env.canary), "OPEN") in watch.events()
    assert server[1] == []


# --- invalid input: refused, named, nothing archived ---------------------------------

@pytest.fixture(scope="module")
def bystander_build(tmp_path_factory) -> Path:
    """A build folder that already holds the bystander's rendition and check, copied into
    each case's own: the bystander is the same in every case, so rendering it ~100 times
    would prove nothing more (its PDF still goes through the stages, from the cache)."""
    root = tmp_path_factory.mktemp("bystander")
    (root / "statements").mkdir()
    meta(root / "statements", "bystander")
    body(root / "statements", "An innocent statement.\n", "bystander.txt")
    code, report, _ = cli("build", root / "statements", root / "archive", root / "build")
    assert code == 0 and report["package"]["created"], report
    return root / "build"


@pytest.mark.parametrize("case_id", sorted(INVALID))
def test_invalid_input_is_refused(case_id, tmp_path, env, server, watch, archive, bystander_build):
    case = INVALID[case_id]
    folder = tmp_path / "statements"
    folder.mkdir()
    case.write(folder, env)
    shutil.copytree(bystander_build, tmp_path / "build", symlinks=True)
    if case_id != "folder_without_statements":
        # A valid statement beside the bad one: were the bad one silently
        # skipped, this one would be rendered and a new package written.
        meta(folder, "bystander")
        body(folder, "An innocent statement.\n", "bystander.txt")
    code, report, text = cli(case.command, folder, archive[0], tmp_path / "build")
    seen = witnesses(server, watch, archive)

    found = {(p["code"], p["file"], p["pointer"]) for s in report["stages"] for p in s["problems"]}
    assert found == case.expected
    assert code == case.exit_code
    # Render and check go on with what validation passed (every problem in one run);
    # nothing is packaged while anything is refused.
    stages = ["validate"] if case.command == "validate" else ["validate", "render", "check"]
    assert [s["stage"] for s in report["stages"]] == stages and "package" not in report
    assert all(p["message"].strip() for s in report["stages"] for p in s["problems"])
    text.encode("utf-8")  # printable: no lone surrogates from file names or keys
    assert "\x1b" not in text and "\x00" not in text  # nothing a terminal would act on
    rendered = {p.name for p in (tmp_path / "build").rglob("*.pdf")} if (tmp_path / "build").exists() else set()
    assert rendered <= {"bystander.pdf"}  # only the valid statement beside the bad one
    assert seen == ISOLATED


def test_human_output_escapes_what_a_terminal_would_act_on(tmp_path):
    folder = tmp_path / "statements"
    folder.mkdir()
    (folder / "bad\x1b[2J.json").write_text(json.dumps({"identifier": "x\x1b]0;owned\x07", "\x1b[31mkey": 1}))
    (folder / os.fsdecode(b"\xfe.txt")).write_text("orphan\n")
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", "--statements", str(folder), "--quiet"], out=out, err=err) == 1
    text = out.getvalue() + err.getvalue()
    assert "V011" in text and "V016" in text and "\\u001b" in text and "\\xfe" in text
    assert "\x1b" not in text and "\x07" not in text
    text.encode("utf-8")  # no lone surrogates: printable on any UTF-8 terminal


def test_body_size_limit_is_a_parameter(tmp_path):
    folder = tmp_path / "statements"
    write_statement(folder, "sized", "x" * 99 + "\n")
    assert validate_statements(folder, SCHEMA, max_body_bytes=100)[1].problems == ()
    _, report = validate_statements(folder, SCHEMA, max_body_bytes=99)
    assert [(p.code, p.file) for p in report.problems] == [("V017", "statements/sized.txt")]
    assert "100 bytes" in report.problems[0].message
    assert DEFAULT_MAX_BODY_BYTES == 5 * 2**20


# --- dangerous but valid: one build, neutralised, text kept --------------------------

@pytest.fixture(scope="module")
def dangerous_build(tmp_path_factory, env, server, watch, archive):
    root = tmp_path_factory.mktemp("dangerous")
    folder = root / "statements"
    folder.mkdir()
    # The archived statement stays: a statement that vanished would stop the build (P004).
    write_statement(folder, "archived-good", "A statement archived before the attack.\n")
    for identifier, case in DANGEROUS.items():
        # Each case's URLs start with its own name, so a request that leaks names its case.
        own = dataclasses.replace(env, base=f"{env.base}/{identifier}")
        record = dangerous_metadata(identifier, case, own)
        (folder / f"{identifier}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        (folder / f"{identifier}{case.suffix}").write_text(fill(case.body, own), encoding="utf-8")
    copy = root / "archive"
    shutil.copytree(archive[0], copy, symlinks=True)
    code, report, _ = cli("build", folder, copy, root / "build")
    witnessed = (list(server[1]), watch.events(), packages(copy))
    texts, actions = {}, {}
    for identifier in DANGEROUS:
        pdf = root / "build" / "pdf" / f"{identifier}.pdf"
        if pdf.exists():
            texts[identifier] = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
                                               capture_output=True, check=True).stdout.decode()
            actions[identifier] = link_actions(pdf)
    return code, report, (texts, actions), witnessed


def link_actions(pdf: Path) -> list[str]:
    """The actions of every link annotation in *pdf* (a URI, JavaScript, a launch…), and its images."""
    from pypdf import PdfReader

    found = []
    for page in PdfReader(pdf).pages:
        resources = page.get("/Resources") or {}
        for name, xobject in (resources.get("/XObject") or {}).items():
            if xobject.get_object().get("/Subtype") == "/Image":
                found.append(f"image {name}")  # no hostile case has a legitimate image
        for annotation in page.get("/Annots") or ():
            action = annotation.get_object().get("/A")
            if action is not None:
                action = action.get_object()
                found.append(f"{action.get('/S')} {action.get('/URI', action.get('/JS', ''))}")
    return found


def test_dangerous_corpus_builds_and_touches_nothing_outside(dangerous_build, archive):
    code, report, (texts, _), (requests, events, tree) = dangerous_build
    problems = [p for s in report["stages"] for p in s["problems"]]
    assert code == 0, problems
    assert report["package"]["created"] and report["package"]["statements"] == len(DANGEROUS) + 1
    assert requests == []
    assert events == []
    assert {k: v for k, v in tree.items() if k in archive[1]} == archive[1]  # the old package, byte for byte
    assert set(texts) == set(DANGEROUS)


@pytest.mark.parametrize("case_id", sorted(DANGEROUS))
def test_dangerous_content_becomes_text(case_id, dangerous_build):
    texts, actions = dangerous_build[2]
    requests = dangerous_build[3][0]
    assert [r for r in requests if r.split(" ", 1)[1].startswith(f"/{case_id}/")] == [], "it fetched"
    assert actions[case_id] == [], "a link or script survived as an action"
    assert case_id in texts, "not rendered"
    text = " ".join(texts[case_id].split())
    case = DANGEROUS[case_id]
    for fragment in case.visible:
        assert fragment in text
    for fragment in case.absent:
        assert fragment not in text


def test_link_actions_sees_a_link_and_an_image(tmp_path):
    """Positive control for the check above: a PDF with a URI link and an image."""
    from pypdf import PdfWriter
    from pypdf.annotations import Link
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject

    writer = PdfWriter()
    page = writer.add_blank_page(100, 100)
    image = DecodedStreamObject()
    image.set_data(b"\x00")
    image.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Image"),
                  NameObject("/Width"): NumberObject(1), NameObject("/Height"): NumberObject(1)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): DictionaryObject(
        {NameObject("/Im0"): writer._add_object(image)})})
    writer.add_annotation(0, Link(rect=(0, 0, 50, 50), url="http://127.0.0.1:9/leak"))
    path = tmp_path / "control.pdf"
    with path.open("wb") as out:
        writer.write(out)
    assert link_actions(path) == ["image /Im0", "/URI http://127.0.0.1:9/leak"]
