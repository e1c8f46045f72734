"""The verify stage: every kind of damage is found, with the right code and file."""

from __future__ import annotations

import datetime
import os
import shutil

import bagit
import pytest

from pipeline.bagit.manifest import format_manifest, hash_file, parse_manifest
from pipeline.core.errors import ArchiveError
from pipeline.package import package_statements
from pipeline.core.records import RenderedStatement, Statement
from pipeline.archive.package_check import verify_bag
from pipeline.verify import verification_report, verify_archive

from bagutil import AGENT, EVENT_TIME, DATE, flip_byte, make_statement, make_writable, sha256, tamper

V1 = "statements-2026-11-28-v0001"
V2 = "statements-2026-11-29-v0002"


@pytest.fixture
def archive(tmp_path):
    """Two versions: v0002 has an edited body for nl-2026-001."""
    src, archive = tmp_path / "statements", tmp_path / "archive"
    first = [make_statement(src, "nl-2026-001"), make_statement(src, "fr-2026-002")]
    package_statements(first, archive, bagging_date=DATE, software_agent=AGENT, event_time=EVENT_TIME)
    second = [make_statement(src, "nl-2026-001", body="Edited.\n"), first[1]]
    package_statements(second, archive, bagging_date=DATE + datetime.timedelta(days=1),
                       software_agent=AGENT, event_time=EVENT_TIME)
    return archive


def problems(archive):
    result = verify_archive(archive)
    return {(p.code, p.file) for p in result.all_problems}


def error_codes(archive):
    return {p.code for p in verify_archive(archive).all_problems if p.severity == "error"}


def test_clean_archive(archive):
    result = verify_archive(archive)
    assert result.ok and result.problems == ()
    assert [(p.name, p.version, p.ok) for p in result.packages] == [(V1, 1, True), (V2, 2, True)]
    assert all(p.files_checked == 7 and p.bytes_checked > 0 for p in result.packages)
    report = verification_report(result)
    assert report.ok and report.stage == "verify" and len(report.items) == 2


PAYLOAD = ["data/index.json", "data/nl-2026-001/nl-2026-001.pdf",
           "data/nl-2026-001/nl-2026-001.json", "data/nl-2026-001/nl-2026-001.md",
           "data/fr-2026-002/fr-2026-002.md"]


@pytest.mark.parametrize("path", PAYLOAD)
def test_flipped_byte_is_named(archive, path):
    # A file carried over unchanged is one file with a name in each version
    # (a hard link): damage to it is damage to every version that holds it.
    shared = os.stat(archive / V1 / path).st_ino == os.stat(archive / V2 / path).st_ino
    assert shared == (path != "data/nl-2026-001/nl-2026-001.md")  # only the edited body differs
    flip_byte(archive / V2 / path, offset=3)
    result = verify_archive(archive)
    assert not result.ok
    bad = [p for p in result.all_problems if p.severity == "error"]
    damaged = [V1, V2] if shared else [V2]
    assert {(p.code, p.file) for p in bad} == {("B004", f"{name}/{path}") for name in damaged}
    assert sorted(p.message.split(")")[0] for p in bad) == sorted([
        "checksum mismatch (sha256", "checksum mismatch (sha512"] * len(damaged))
    assert "expected " in bad[0].message and ", found " in bad[0].message
    assert [p.ok for p in result.packages] == [not shared, False]


def test_deleted_file(archive):
    os.unlink(archive / V1 / PAYLOAD[1])
    assert problems(archive) == {("B002", f"{V1}/{PAYLOAD[1]}"), ("B005", f"{V1}/bag-info.txt")}


def test_unexpected_file(archive):
    (archive / V1 / "data/extra.txt").write_text("sneaked in")
    found = verify_archive(archive).all_problems
    assert {(p.code, p.file) for p in found} == {("B003", f"{V1}/data/extra.txt"),
                                                ("B005", f"{V1}/bag-info.txt")}
    assert any("unexpected file (not in manifest-sha256.txt, manifest-sha512.txt)" == p.message
               for p in found)


def test_edited_bag_info(archive):
    info = archive / V2 / "bag-info.txt"
    tamper(info, info.read_bytes().replace(b"Bag-Software-Agent: ", b"Bag-Software-Agent: x"))
    assert problems(archive) == {("B006", f"{V2}/bag-info.txt")}


def test_edited_manifest_line(archive):
    path = archive / V2 / "manifest-sha256.txt"
    text = path.read_text()
    tamper(path, text.replace(text[:64], "0" * 64, 1).encode())
    first_file = text.splitlines()[0].split("  ", 1)[1]
    assert problems(archive) == {("B004", f"{V2}/{first_file}"),
                                 ("B006", f"{V2}/manifest-sha256.txt")}


def test_malformed_manifest_line(archive):
    path = archive / V2 / "manifest-sha512.txt"
    tamper(path, path.read_bytes() + b"not a manifest line\n")
    found = verify_archive(archive).all_problems
    assert ("B008", f"{V2}/manifest-sha512.txt", "line 8") in {
        (p.code, p.file, p.pointer) for p in found}


def test_symlink_in_data(archive, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    os.symlink(outside, archive / V1 / "data/link.txt")
    assert problems(archive) == {("B007", f"{V1}/data/link.txt")}


def test_symlink_replacing_payload_file(archive, tmp_path):
    target = archive / V1 / PAYLOAD[0]
    shutil.copy(target, tmp_path / "copy.json")
    os.unlink(target)
    os.symlink(tmp_path / "copy.json", target)  # same bytes, but a link
    assert ("B007", f"{V1}/{PAYLOAD[0]}") in problems(archive)
    assert not verify_archive(archive).ok


def test_dotdot_path_in_manifest(archive):
    for alg in ("sha256", "sha512"):
        path = archive / V1 / f"manifest-{alg}.txt"
        entries = dict(parse_manifest(path.read_bytes(), alg).entries)
        entries["data/../bagit.txt"] = hash_file(archive / V1 / "bagit.txt", [alg]).digests[alg]
        tamper(path, format_manifest(entries))
    found = problems(archive)
    assert ("B007", f"{V1}/manifest-sha256.txt") in found
    assert ("B007", f"{V1}/manifest-sha512.txt") in found
    assert ("B006", f"{V1}/manifest-sha256.txt") in found  # tag manifest no longer matches


def test_malformed_bagit_txt(archive):
    tamper(archive / V1 / "bagit.txt", b"BagIt-Version: 1.0\n")
    assert "B001" in error_codes(archive)
    os.unlink(archive / V1 / "bagit.txt")
    assert ("B001", f"{V1}/bagit.txt") in problems(archive)


def test_altered_predecessor_tagmanifest_breaks_chain(archive):
    path = archive / V1 / "tagmanifest-sha256.txt"
    tamper(path, path.read_bytes().replace(b"  bagit.txt", b" bagit.txt"))  # same meaning
    found = problems(archive)
    # Same meaning to RFC 8493, but not the form our writer writes (B021), and
    # not the bytes v0002 recorded (B009).
    assert found == {("B009", f"{V2}/bag-info.txt"), ("B021", f"{V1}/tagmanifest-sha256.txt")}
    message = next(p.message for p in verify_archive(archive).all_problems if p.code == "B009")
    assert V1 in message and "altered" in message


def test_resealed_predecessor_is_caught_by_the_chain(archive):
    """Someone edits a v0001 body and rewrites its manifests and tag manifests
    consistently: v0001 alone looks valid, but v0002's recorded digest exposes it."""
    bag = archive / V1
    tamper(bag / PAYLOAD[3], b"Rewritten history.\n")
    for prefix, covered in (("manifest", None), ("tagmanifest", None)):
        for alg in ("sha256", "sha512"):
            path = bag / f"{prefix}-{alg}.txt"
            entries = dict(parse_manifest(path.read_bytes(), alg).entries)
            fresh = {p: hash_file(bag / p, [alg]).digests[alg] for p in entries}
            tamper(path, format_manifest(fresh))
    size = sum(p.stat().st_size for p in (bag / "data").rglob("*") if p.is_file())
    info = bag / "bag-info.txt"
    lines = [f"Payload-Oxum: {size}.7" if line.startswith("Payload-Oxum") else line
             for line in info.read_text().splitlines()]
    tamper(info, ("\n".join(lines) + "\n").encode())
    for alg in ("sha256", "sha512"):  # and once more, for bag-info.txt
        path = bag / f"tagmanifest-{alg}.txt"
        entries = dict(parse_manifest(path.read_bytes(), alg).entries)
        tamper(path, format_manifest({p: hash_file(bag / p, [alg]).digests[alg] for p in entries}))
    assert verify_bag(bag).ok
    assert problems(archive) == {("B009", f"{V2}/bag-info.txt")}


def test_missing_predecessor_package(archive):
    shutil.rmtree(archive / V1)
    result = verify_archive(archive)
    assert {(p.code, p.file) for p in result.all_problems} == {("B009", f"{V2}/bag-info.txt")}
    assert "v0001" in result.all_problems[0].message


def test_duplicate_version(archive):
    shutil.copytree(archive / V1, archive / "statements-2026-11-27-v0001", symlinks=True)
    found = problems(archive)
    assert ("B009", "statements-2026-11-27-v0001/bag-info.txt") in found
    assert ("B009", f"{V1}/bag-info.txt") in found
    assert ("B010", "statements-2026-11-27-v0001/bag-info.txt") in found  # name ≠ External-Identifier


def test_leftovers_and_strays_are_warnings(archive):
    (archive / ".incoming" / f"{V2}.abc123").mkdir(parents=True)
    (archive / "notes.txt").write_text("hello")
    result = verify_archive(archive)
    assert result.ok
    assert {(p.code, p.file, p.severity) for p in result.problems} == {
        ("B013", f".incoming/{V2}.abc123", "warning"), ("B014", "notes.txt", "warning")}
    assert len(result.packages) == 2


def test_missing_archive_is_archive_error(tmp_path):
    with pytest.raises(ArchiveError):
        verify_archive(tmp_path / "nowhere")


def test_percent_and_newline_file_names_round_trip(tmp_path):
    """Body files named with '%' and a line feed: percent-encoded in the manifests,
    and our verify reads them back. (bagit-python 1.9 does not decode %25; see
    test_bag.test_bagit_python_mishandles_percent.)"""
    src = tmp_path / "in"
    base = make_statement(src, "odd-1")
    rendered = []
    for name in ("100% sure.md", "two\nlines.md"):
        body = src / name
        body.write_bytes(b"Body.\n")
        statement = Statement(base.statement.identifier, base.statement.metadata_path, body,
                              "text/markdown", base.statement.metadata_bytes,
                              base.statement.metadata_sha256, sha256(b"Body.\n"))
        rendered.append(RenderedStatement(statement, base.pdf_path, base.pdf_sha256, "x"))
    archive = tmp_path / "archive"
    for i, item in enumerate(rendered):
        package_statements([item], archive, bagging_date=DATE + datetime.timedelta(days=i),
                           software_agent=AGENT, event_time=EVENT_TIME)
    texts = [(p / "manifest-sha256.txt").read_text() for p in sorted(archive.glob("stat*"))]
    assert "data/odd-1/100%25 sure.md" in texts[0]
    assert "data/odd-1/two%0Alines.md" in texts[1]
    result = verify_archive(archive)
    assert result.ok, result.all_problems
    bagit.Bag(str(archive / "statements-2026-11-29-v0002")).validate()  # LF is fine for it
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(archive / V1)).validate()  # '%' is not


def test_files_are_read_only_but_tests_can_tamper(archive):
    path = archive / V1 / PAYLOAD[0]
    assert path.stat().st_mode & 0o222 == 0
    make_writable(path)
    assert path.stat().st_mode & 0o200




# --- our own rules on top of RFC 8493 --------------------------------------

def test_archive_notes_are_not_strays(archive):
    (archive / "events.jsonl").write_text("")
    (archive / "README.md").write_text("# archive\n")
    result = verify_archive(archive)
    assert result.ok and result.problems == ()


def test_added_tag_file_is_an_error_in_our_packages_only(archive):
    (archive / V1 / "notes.txt").write_text("added later")
    assert problems(archive) == {("B006", f"{V1}/notes.txt")}
    assert {p.severity for p in verify_bag(archive / V1, package_rules=False).problems} == {"warning"}


def test_deleted_sha512_tag_manifest_is_found(archive):
    os.unlink(archive / V2 / "tagmanifest-sha512.txt")
    assert problems(archive) == {("B006", f"{V2}/tagmanifest-sha512.txt")}


def test_upper_case_hex_in_a_tag_manifest_is_found(archive):
    path = archive / V2 / "tagmanifest-sha512.txt"
    data = path.read_bytes()
    tamper(path, data[:10].upper() + data[10:])  # same meaning to RFC 8493
    assert problems(archive) == {("B021", f"{V2}/tagmanifest-sha512.txt")}


def test_external_bag_is_not_held_to_our_rules(tmp_path):
    root = tmp_path / "someone-elses-bag"
    root.mkdir()
    (root / "x.txt").write_text("x")
    bagit.make_bag(str(root))
    result = verify_bag(root)
    assert result.ok and result.problems == () and result.version == 0


# --- modes ----------------------------------------------------------------

def test_modes_on_the_archive(archive):
    path = archive / V1 / PAYLOAD[0]
    data = path.read_bytes()
    tamper(path, bytes([data[0] ^ 1]) + data[1:])  # same size: only hashing sees it
    assert verify_archive(archive, mode="fast").ok
    assert verify_archive(archive, mode="completeness-only").ok
    assert error_codes(archive) == {"B004"}
    os.unlink(archive / V2 / PAYLOAD[1])
    assert {p.code for p in verify_archive(archive, mode="fast").all_problems} == {"B005"}
    assert {p.code for p in verify_archive(archive, mode="completeness-only").all_problems} == {
        "B002", "B005"}


# --- the command line ------------------------------------------------------

def cli(*argv):
    import io

    from pipeline.cli import main

    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def old_bag(tmp_path, name, **kwargs):
    root = tmp_path / name
    root.mkdir()
    (root / "a.txt").write_text("alpha\n")
    bagit.make_bag(str(root), **kwargs)
    return root


def test_cli_verifies_named_097_bags(tmp_path):
    good = old_bag(tmp_path, "good", checksums=["md5", "sha256"])
    bad = old_bag(tmp_path, "bad")
    tamper(bad / "data" / "a.txt", b"alphA\n")
    code, out, _ = cli("verify", str(good))
    assert code == 0 and f"OK   {good}" in out
    code, out, _ = cli("verify", "--json", str(good), str(bad))
    report = __import__("json").loads(out)
    assert code == 1 and not report["ok"]
    codes = {p["code"] for p in report["stages"][0]["problems"]}
    assert codes == {"B004"}
    assert cli("verify", "--fast", str(bad))[0] == 0  # same size
    assert cli("verify", "--completeness-only", str(bad))[0] == 0
    assert cli("verify", str(tmp_path / "nowhere"))[0] == 2


def test_cli_modes_are_exclusive_and_apply_to_the_archive(archive):
    assert cli("verify", "--fast", "--completeness-only", "--archive", str(archive))[0] == 2
    tamper(archive / V1 / PAYLOAD[0], b"x")
    for flag, expected in (("--fast", 1), ("--completeness-only", 1)):
        code, out, _ = cli("verify", flag, "--archive", str(archive))
        assert code == expected and "B005" in out and "nothing hashed" in out
    assert not (archive / "events.jsonl").exists() or "fast" not in (
        archive / "events.jsonl").read_text()
