"""verify --reproduce: every archived PDF rendered again from its package alone.

Real renders with the pinned fonts; the insider's forgery is a real, valid
rendering of another body, with every manifest, tag manifest and
Payload-Oxum rewritten so that verify alone (and bagit-python) pass it.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest

from bagutil import make_statement, make_writable, DATE, AGENT, EVENT_TIME
from pipeline.cli import main

PROJECT = Path(__file__).resolve().parents[1]
# A long speech, an Arabic statement, and the seed: a web capture with its reviewed extraction,
# whose PDF embeds the capture as its Source (so reproduction must find it in the package too).
CHOSEN = ("examplia-mfa-2021-speech-law-of-the-sea", "examplia-mfa-2023-statement-flood-relief-ar",
          "embassy-nl-2019-huawei-5g-remarks")
VICTIM = CHOSEN[0]


def _cli(*argv: str) -> tuple[int, dict]:
    out = io.StringIO()
    code = main([*argv, "--json", "-q"], out=out, err=io.StringIO())
    return code, json.loads(out.getvalue())


def _statements(target: Path, body_suffix: str = "") -> Path:
    target.mkdir(parents=True)
    for identifier in CHOSEN:
        for source in PROJECT.glob(f"statements/{identifier}.*"):
            shutil.copy(source, target / source.name)
    if body_suffix:
        body = target / f"{VICTIM}.txt"
        body.write_text(body.read_text(encoding="utf-8") + body_suffix, encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory, fonts_dir) -> Path:
    """A project folder with one fresh package of three real statements."""
    root = tmp_path_factory.mktemp("reproduce")
    statements = _statements(root / "statements")
    args = ("--statements", str(statements), "--archive", str(root / "archive"),
            "--build-dir", str(root / "build"), "--date", DATE.isoformat())
    code, report = _cli("build", *args)
    assert code == 0, report
    again, report = _cli("build", *args)
    assert again == 0 and not report["package"]["created"], "a build with nothing changed writes nothing"
    return root


@pytest.fixture()
def archive(built, tmp_path) -> Path:
    copy = tmp_path / "archive"
    shutil.copytree(built / "archive", copy)
    return copy


def _package(archive: Path) -> Path:
    (package,) = [p for p in archive.iterdir() if p.name.startswith("statements-")]
    return package


def _reproduce(archive: Path, tmp_path: Path, *extra: str) -> tuple[int, dict]:
    return _cli("verify", "--archive", str(archive), "--build-dir", str(tmp_path / "rebuild"),
                "--reproduce", *extra)


def _codes(report: dict) -> list[str]:
    return [p["code"] for stage in report["stages"] for p in stage["problems"]]


def test_a_fresh_package_is_self_describing_and_bagit_python_validates_it(archive):
    bagit = pytest.importorskip("bagit")
    package = _package(archive)
    provenance = package / "data" / "_provenance"
    renditions = json.loads((provenance / "renditions.json").read_text(encoding="utf-8"))
    assert sorted(e["identifier"] for e in renditions["statements"]) == sorted(CHOSEN)
    inputs = renditions["renderer"]["fingerprint_inputs"]
    assert hashlib.sha256("\n".join(inputs).encode()).hexdigest() == renditions["renderer"]["fingerprint"]
    assert (provenance / "templates" / "statement.html.j2").is_file()
    assert (provenance / "fonts" / "fonts.lock").read_bytes() == (PROJECT / "fonts" / "fonts.lock").read_bytes()
    schema = json.loads((provenance / "schema" / "statement.schema.json").read_text(encoding="utf-8"))
    assert renditions["schema"]["id"] == schema["$id"]
    assert list(provenance.glob("locale/*/LC_MESSAGES/statement.po"))
    index = json.loads((package / "data" / "index.json").read_text(encoding="utf-8"))
    assert sorted(s["identifier"] for s in index["statements"]) == sorted(CHOSEN), "provenance is no statement"
    bagit.Bag(str(package)).validate()


def test_a_fresh_package_is_reproduced_and_each_reproduction_is_an_event(archive, tmp_path):
    code, report = _reproduce(archive, tmp_path)
    assert code == 0, report
    assert sorted(r["identifier"] for r in report["reproductions"]) == sorted(CHOSEN)
    assert {r["outcome"] for r in report["reproductions"]} == {"reproduced"}
    assert not [c for c in _codes(report) if c.startswith("D")]
    events = [json.loads(line) for line in (archive / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    fixity = [e for e in events if e["eventType"] == "fixity check" and "re-rendered" in e["eventOutcomeDetail"]]
    assert len(fixity) == len(CHOSEN) and {e["eventOutcome"] for e in fixity} == {"success"}
    assert any("WeasyPrint" in json.dumps(e) for e in fixity), "the rendering software is an agent"


def _rewrite_consistently(package: Path, changed: dict[str, bytes]) -> None:
    """What an insider with write access could do: new payload bytes, and every
    manifest, Payload-Oxum and tag manifest made to agree with them."""
    for relative, data in changed.items():
        make_writable(package / relative)
        (package / relative).write_bytes(data)
    algorithms = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}

    def fix(manifest: Path, paths: set[str]) -> None:
        algorithm = algorithms[manifest.stem.split("-")[1]]
        lines = []
        for line in manifest.read_text(encoding="utf-8").splitlines():
            digest, path = line.split("  ", 1)
            if path in paths:
                digest = algorithm((package / path).read_bytes()).hexdigest()
            lines.append(f"{digest}  {path}")
        make_writable(manifest)
        manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")

    for manifest in package.glob("manifest-*.txt"):
        fix(manifest, set(changed))
    files = [p for p in (package / "data").rglob("*") if p.is_file()]
    info = package / "bag-info.txt"
    text = "".join(f"Payload-Oxum: {sum(p.stat().st_size for p in files)}.{len(files)}\n"
                   if line.startswith("Payload-Oxum:") else line
                   for line in info.read_text(encoding="utf-8").splitlines(keepends=True))
    make_writable(info)
    info.write_text(text, encoding="utf-8")
    tag_files = {p.name for p in package.iterdir() if p.is_file() and not p.name.startswith("tagmanifest-")}
    for manifest in package.glob("tagmanifest-*.txt"):
        fix(manifest, tag_files)


def test_a_pdf_replaced_by_an_insider_passes_verify_but_not_reproduce(archive, tmp_path):
    bagit = pytest.importorskip("bagit")
    other = tmp_path / "other"
    code, report = _cli("render", "--statements", str(_statements(other / "statements", "\nOne more line.\n")),
                        "--build-dir", str(other / "build"))
    assert code == 0, report
    forged = (other / "build" / "pdf" / f"{VICTIM}.pdf").read_bytes()
    package = _package(archive)
    pdf = f"data/{VICTIM}/{VICTIM}.pdf"
    assert forged != (package / pdf).read_bytes()
    renditions_path = "data/_provenance/renditions.json"
    renditions = json.loads((package / renditions_path).read_text(encoding="utf-8"))
    for entry in renditions["statements"]:
        if entry["identifier"] == VICTIM:
            entry["pdf_sha256"] = hashlib.sha256(forged).hexdigest()
    _rewrite_consistently(package, {pdf: forged, renditions_path: json.dumps(renditions).encode()})

    code, report = _cli("verify", "--archive", str(archive))
    assert code == 0, report  # the bag is consistent: fixity alone cannot tell
    bagit.Bag(str(package)).validate()
    code, report = _reproduce(archive, tmp_path)
    assert code == 1
    outcomes = {r["identifier"]: r["outcome"] for r in report["reproductions"]}
    assert outcomes == {VICTIM: "differs", CHOSEN[1]: "reproduced", CHOSEN[2]: "reproduced"}
    (problem,) = [p for s in report["stages"] for p in s["problems"] if p["code"] == "D001"]
    assert VICTIM in problem["file"] and VICTIM in problem["message"]
    assert "page " in problem["message"] or "object " in problem["message"], problem["message"]


def test_other_installed_templates_cannot_reproduce_and_say_which_digest(archive, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(PROJECT / "templates", templates)
    css = templates / "statement.css"
    css.write_text(css.read_text(encoding="utf-8") + "\nh1 { letter-spacing: 0.01em; }\n", encoding="utf-8")
    code, report = _reproduce(archive, tmp_path, "--templates", str(templates))
    assert code == 0, report  # not a difference of the package: a difference of this machine
    assert {r["outcome"] for r in report["reproductions"]} == {"cannot reproduce here"}
    recorded = json.loads((_package(archive) / "data/_provenance/renditions.json").read_text())
    for reproduction in report["reproductions"]:
        (difference,) = reproduction["differences"]
        assert "templates digest" in difference and recorded["renderer"]["templates_digest"] in difference
        assert "text" in reproduction["detail"] and "reproduced" not in reproduction["outcome"]
    assert set(_codes(report)) & {"D002", "D003"} and "D001" not in _codes(report)


def test_a_package_from_before_provenance_says_what_is_missing(tmp_path):
    from pipeline.package import package_statements

    rendered = [make_statement(tmp_path / "in", "old-one")]
    package_statements(rendered, tmp_path / "archive", bagging_date=DATE, software_agent=AGENT,
                       event_time=EVENT_TIME)
    code, report = _reproduce(tmp_path / "archive", tmp_path)
    assert code == 0, report
    assert report["reproductions"] == []
    (problem,) = [p for s in report["stages"] for p in s["problems"] if p["code"] == "D004"]
    assert "renditions.json" in problem["message"] and "templates" in problem["message"]


def test_a_malformed_renditions_record_is_named(archive, tmp_path):
    package = _package(archive)
    record = json.loads((package / "data/_provenance/renditions.json").read_text())
    record["renderer"]["weasyprint"] = "WeasyPrint 99"  # fingerprint no longer its inputs' digest
    _rewrite_consistently(package, {"data/_provenance/renditions.json": json.dumps(record).encode()})
    code, report = _reproduce(archive, tmp_path)
    assert code == 1
    assert "D005" in _codes(report) and "D001" not in _codes(report)


def test_what_is_installed_otherwise_is_named_one_by_one():
    from pipeline.core.records import RenditionFacts
    from pipeline.reproduce import environment_differences

    fonts = (("A.ttf", "a" * 64, "OFL-1.1"), ("B.ttf", "b" * 64, "OFL-1.1"))
    here = RenditionFacts("statement-archive/0.1.0", "WeasyPrint 70.0", "pango 15012; hb-subset yes", "f" * 64,
                          fonts, "t" * 64, "c" * 64, False, None, "x" * 64)
    recorded = {"software": here.software_agent, "weasyprint": here.weasyprint, "text_stack": here.text_stack,
                "fonts_fingerprint": here.fonts_fingerprint, "templates_digest": here.templates_digest,
                "catalogues_digest": here.catalogues_digest,
                "fonts": [{"file": f, "sha256": d, "licence": lic} for f, d, lic in fonts]}
    assert environment_differences(recorded, here) == ()  # positive control
    older = {**recorded, "weasyprint": "WeasyPrint 61.2",
             "fonts": [recorded["fonts"][0], {"file": "B.ttf", "sha256": "e" * 64, "licence": "OFL-1.1"},
                       {"file": "C.ttf", "sha256": "d" * 64, "licence": "OFL-1.1"}]}
    found = environment_differences(older, here)
    assert any("WeasyPrint 61.2" in d and "WeasyPrint 70.0" in d for d in found)
    assert any(d.startswith("font B.ttf") and "e" * 64 in d and "b" * 64 in d for d in found)
    assert any(d.startswith("font C.ttf") and "not installed" in d for d in found)
    assert len(found) == 3
