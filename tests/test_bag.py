"""pipeline.bagit: paths, manifests, tag files, writing and checking one bag."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import bagit
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.archive.folder import PackageName, parse_package_name, valid_group
from pipeline.bagit.manifest import (
    FileDigest, format_manifest, hash_file, hash_stream, hash_unbuffered, parse_manifest,
)
from pipeline.bagit.fetch import parse_fetch
from pipeline.bagit.paths import decode_path, encode_path, unsafe_reason
from pipeline.bagit.paths import portability_hazards
from pipeline.bagit.tagfile import bagit_txt_errors, format_tags, parse_tags, read_declaration
from pipeline.bagit.validator import COMPLETENESS, FAST, check_bag
from pipeline.bagit.writer import PayloadItem, plan_payload, write_bag

from bagutil import DATE


def codes(check) -> set[str]:
    return {p.code for p in check.problems}


# --- paths ---------------------------------------------------------------

def test_encode_path_encodes_cr_lf_percent_only():
    assert encode_path("data/a%b\nc\rd é.pdf") == "data/a%25b%0Ac%0Dd é.pdf"
    assert decode_path("data/a%25b%0Ac%0dd%20x") == "data/a%b\nc\rd%20x"
    assert decode_path("data/%250A") == "data/%0A"  # one pass, not two


@settings(max_examples=200, deadline=None, database=None)
@given(st.text())
def test_encode_decode_round_trip(name):
    assert decode_path(encode_path(name)) == name
    assert "\n" not in encode_path(name) and "\r" not in encode_path(name)


@pytest.mark.parametrize("path", ["/etc/passwd", "data/../x", "../x", "data//x", "data/./x",
                                  "", "C:/x", "~/x", "data/x\0"])
def test_unsafe_paths(path):
    assert unsafe_reason(path)


def test_safe_paths():
    assert unsafe_reason("data/a..b/c .pdf") is None
    assert unsafe_reason("data/%2e%2e/x") is None  # only CR, LF, % are ever decoded


# --- manifests -----------------------------------------------------------

def test_hash_file_reads_once_for_all_algorithms(tmp_path):
    data = bytes(range(256)) * 9000  # > 2 chunks
    path = tmp_path / "f"
    path.write_bytes(data)
    digest = hash_file(path, ["sha512", "sha256", "md5"])
    assert digest.size == len(data)
    assert digest.digests == {alg: hashlib.new(alg, data).hexdigest()
                              for alg in ("md5", "sha256", "sha512")}


def test_hashing_into_one_reused_buffer_sees_only_each_files_own_bytes(tmp_path):
    # verify's path: one buffer per thread, reused; a smaller file after a larger one
    # must not be hashed with the larger one's leftover bytes, nor an empty file with any
    big = bytes(range(256)) * 9000  # > 2 chunks
    files = {"big": big, "small": big[:1000], "empty": b"", "flipped": b"\x01" + big[1:1000]}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    for name, data in files.items():
        for buffering in (0, -1):  # unbuffered (verify) and buffered (packaging, checks) alike
            copied = bytearray()
            with open(tmp_path / name, "rb", buffering=buffering) as stream:
                digest = hash_stream(stream, ["sha512", "sha256", "sha256"], copied.extend)
            assert digest == FileDigest(len(data), {alg: hashlib.new(alg, data).hexdigest()
                                                    for alg in ("sha256", "sha512")}), name
            assert copied == data, name  # the sink (a copy made while hashing) gets exactly the bytes
    with open(tmp_path / "flipped", "rb", buffering=0) as stream:  # control: one byte apart, another digest
        assert hash_unbuffered(stream, ["sha256"]) != (1000, (hashlib.sha256(big[:1000]).hexdigest(),))


def test_manifest_round_trip_sorted_and_encoded():
    entries = {"data/b": "b" * 64, "data/a%\n": "a" * 64, "data/\u2028x": "c" * 64}
    text = format_manifest(entries)
    assert text.decode().splitlines(keepends=False)[0].endswith("data/a%25%0A")
    assert text.endswith(b"\n") and b"\r" not in text
    assert text.decode("utf-8").count("\n") == 3  # U+2028 is not a line break in BagIt
    parsed = parse_manifest(text, "sha256")
    assert dict(parsed.entries) == entries and not parsed.errors and not parsed.duplicates
    assert format_manifest(dict(parsed.entries)) == text  # the round trip gives the same bytes


def test_parse_manifest_reports_bad_lines():
    data = ("a" * 64 + "  data/ok\n" + "nothex  data/x\n" + "a" * 63 + " data/short\n"
            + "lonely\n" + "A" * 64 + "\tdata/ok\n" + "B" * 64 + " \tdata/upper\r\n").encode()
    parsed = parse_manifest(data, "sha256")
    assert parsed.entries == {"data/ok": "a" * 64, "data/upper": "b" * 64}
    assert [line for line, _ in parsed.errors] == [2, 3, 4]
    assert parsed.duplicates == ((5, "data/ok"),)  # the first entry is kept


def test_parse_manifest_rejects_bom_and_bad_utf8():
    assert parse_manifest(b"\xef\xbb\xbf" + b"a" * 64 + b" data/x\n", "sha256").errors
    assert parse_manifest(b"a" * 64 + b" data/\xff\n", "sha256").errors


# --- tag files -----------------------------------------------------------

def test_tag_folding_round_trips_and_keeps_digests_whole():
    long_text = " ".join(f"word{i}" for i in range(40))
    digest = "f" * 64
    data = format_tags([("Note", long_text), ("Predecessor-Tagmanifest-SHA256", digest)])
    lines = data.decode().split("\n")
    assert all(len(line) <= 79 for line in lines[:-2])
    assert any(line.startswith(" ") for line in lines)
    assert f"Predecessor-Tagmanifest-SHA256: {digest}" in lines
    parsed = parse_tags(data)
    assert parsed.errors == ()
    assert parsed.elements == (("Note", long_text), ("Predecessor-Tagmanifest-SHA256", digest))


@settings(max_examples=100, deadline=None, database=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                      blacklist_characters="\r\n"), max_size=300))
def test_tag_values_round_trip(value):
    assert parse_tags(format_tags([("Label", value)])).elements == (("Label", value),)


def test_tag_values_with_line_breaks_are_refused():
    with pytest.raises(ValueError, match="contains a line break"):
        format_tags([("Label", "a\nb")])
    with pytest.raises(ValueError, match="unusable tag label"):
        format_tags([("Bad: label", "x")])


def test_parse_tags_reports_bad_lines():
    parsed = parse_tags(b"Good: yes\nno colon here\nNoSpace:x\n  folded\nLast: no newline")
    assert parsed.get("Good") == "yes"
    assert [n for n, _ in parsed.errors] == [2, 3, 4]
    assert [n for n, _ in parsed.warnings] == [5]  # RFC 8493 only recommends the last line break


def test_bagit_txt_rules():
    assert bagit_txt_errors(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n") == []
    assert bagit_txt_errors(b"BagIt-Version: 0.97\r\nTag-File-Character-Encoding: UTF-8\r\n") == []
    assert bagit_txt_errors(b"\xef\xbb\xbfBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    assert bagit_txt_errors(b"BagIt-Version: 2.0\nTag-File-Character-Encoding: UTF-8\n")
    assert bagit_txt_errors(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: no-such-codec\n")
    assert bagit_txt_errors(b"Tag-File-Character-Encoding: UTF-8\nBagIt-Version: 1.0\n")
    assert bagit_txt_errors(b"BagIt-Version: 1.0\n")


# --- package names -------------------------------------------------------

def test_package_names():
    name = PackageName("statements", DATE, 3)
    assert name.name == "statements-2026-11-28-v0003"
    assert parse_package_name("my-group-2026-11-28-v0012") == PackageName("my-group", DATE, 12)
    for bad in ("statements-2026-02-30-v0001", "statements-2026-11-28-v1",
                "statements-2026-11-28-v00001", ".incoming", "x-2026-11-28"):
        assert parse_package_name(bad) is None
    assert valid_group("statements") and not valid_group("../x") and not valid_group("a b")


# --- writer and checker --------------------------------------------------

def write_sample(tmp_path: Path, names=("data/a.txt", "data/sub/b.txt")) -> Path:
    root = tmp_path / "bag"
    root.mkdir()
    items = [PayloadItem(n, content=f"content of {n}\n".encode()) for n in names]
    write_bag(root, items, [("External-Identifier", "sample")], expected_sha256={path: d.digests["sha256"] for path, d in plan_payload(items).items()})
    return root


def test_written_bag_checks_clean(tmp_path):
    root = write_sample(tmp_path)
    check = check_bag(root, "bag")
    assert check.problems == ()
    assert check.files_checked == 2
    assert check.info.get("Payload-Oxum") == f"{check.bytes_checked}.2"
    assert (root / "bagit.txt").read_bytes() == (
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    bagit.Bag(str(root)).validate()


@pytest.mark.parametrize("bad, why", [
    (["data/../x"], "unusable payload path"), (["tag.txt"], "not under data/"),
    (["data/a", "data/a"], "used twice"), (["data/a", "data/a/b"], "both a file and a folder"),
])
def test_writer_refuses_unsafe_or_clashing_paths(tmp_path, bad, why):
    with pytest.raises(ValueError, match=why):
        plan_payload([PayloadItem(n, content=b"x") for n in bad])
    assert plan_payload([PayloadItem("data/a", content=b"x"), PayloadItem("data/b/c", content=b"y")])  # control


def test_percent_and_newline_paths_round_trip(tmp_path):
    names = ("data/100%.txt", "data/%0A literally.txt", "data/two\nlines.txt", "data/cr\r.txt")
    root = write_sample(tmp_path, names)
    manifest = (root / "manifest-sha256.txt").read_text(encoding="utf-8")
    assert "data/100%25.txt" in manifest
    assert "data/%250A literally.txt" in manifest
    assert "data/two%0Alines.txt" in manifest
    assert "data/cr%0D.txt" in manifest
    assert len(manifest.split("\n")) == len(names) + 1
    assert check_bag(root, "bag").problems == ()


def test_bagit_python_mishandles_percent(tmp_path):
    """bagit-python 1.9 decodes %0A and %0D but not %25 (RFC 8493 §2.1.3), so it
    looks for a file literally named '100%25.txt'. Our output is RFC-correct;
    this test documents bagit-python's behaviour and fails if it is ever fixed."""
    root = write_sample(tmp_path, ("data/100%.txt",))
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(root)).validate()


def test_bagit_python_reads_newline_paths(tmp_path):
    root = write_sample(tmp_path, ("data/two\nlines.txt",))
    bagit.Bag(str(root)).validate()
    cli = subprocess.run([sys.executable, "-m", "bagit", "--validate", str(root)],
                         capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr


def test_checker_on_folder_that_is_not_a_bag(tmp_path):
    (tmp_path / "x").mkdir()
    assert {"B001", "B002", "B011"} <= codes(check_bag(tmp_path / "x", "x"))
    (tmp_path / "f").write_text("x")
    assert codes(check_bag(tmp_path / "f", "f")) == {"B001"}


def test_unsupported_algorithm_is_a_warning(tmp_path):
    root = write_sample(tmp_path)
    (root / "manifest-blake3.txt").write_text("ab  data/a.txt\n")
    check = check_bag(root, "bag")
    assert {(p.code, p.severity) for p in check.problems} == {
        ("B011", "warning"),
        ("B006", "error"),  # added after the bag was made: not in the tag manifests
    }


def problem_set(check) -> set[tuple[str, str, str]]:
    return {(p.code, p.file, p.severity) for p in check.problems}


def retag(root: Path) -> None:
    """Rewrite the tag manifests after a deliberate edit, so only that edit shows."""
    for alg in ("sha256", "sha512"):
        path = root / f"tagmanifest-{alg}.txt"
        entries = dict(parse_manifest(path.read_bytes(), alg).entries)
        fresh = {p: hash_file(root / p, [alg]).digests[alg] for p in entries if (root / p).exists()}
        path.chmod(0o644)
        path.write_bytes(format_manifest(fresh))


def rewrite(path: Path, data: bytes) -> None:
    path.chmod(0o644)
    path.write_bytes(data)


# --- bagit.txt, strictly -------------------------------------------------

GOOD_DECLARATION = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


@pytest.mark.parametrize("data", [
    GOOD_DECLARATION,
    GOOD_DECLARATION.replace(b"\n", b"\r\n"),
    GOOD_DECLARATION.replace(b"\n", b"\r"),
    b"BagIt-Version: 1.0\r\nTag-File-Character-Encoding: UTF-8\n",
    b"BagIt-Version: 0.97\nTag-File-Character-Encoding: utf-8\n",  # 0.97: lenient on the name
    b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF8",     # and on the final break
])
def test_bagit_txt_accepted(data):
    assert read_declaration(data).errors == ()


@pytest.mark.parametrize("data,encoding", [
    (b"BagIt-Version: 1.0\nTag-File-Character-Encoding: utf-8\n", "utf-8"),  # RFC 8493: SHOULD be UTF-8
    (b"BagIt-Version: 1.0\nTag-File-Character-Encoding: ISO-8859-1\n", "iso8859-1"),  # ... MAY be another
    (b"BagIt-Version: 0.97\nTag-File-Character-Encoding: ISO-8859-1\n", "iso8859-1"),
    (b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8", "utf-8"),  # last break RECOMMENDED
    (b"BagIt-Version : 0.97\nTag-File-Character-Encoding :  UTF-8\n", "utf-8"),  # < 1.0: spaces
    (b"BagIt-version: 0.95\nTag-File-Character-Encoding: UTF-8\n", "utf-8"),  # as the drafts' example
    (b"BagIt-Version: 0.94\n", "utf-8"),  # 0.93-0.96: "should consist of exactly two lines"
])
def test_bagit_txt_accepted_with_a_warning(data, encoding):
    """Valid under the version declared, but not what BagIt 1.0 asks for."""
    declared = read_declaration(data)
    assert declared.errors == () and declared.warnings and declared.encoding == encoding
    assert read_declaration(GOOD_DECLARATION).warnings == ()  # positive control


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbf" + GOOD_DECLARATION,
    b"BagIt-Version : 1.0\nTag-File-Character-Encoding: UTF-8\n",
    b"BagIt-Version:1.0\nTag-File-Character-Encoding: UTF-8\n",
    b"BagIt-Version:  1.0\nTag-File-Character-Encoding: UTF-8\n",
    b"BagIt-Version: 1.0 \nTag-File-Character-Encoding: UTF-8\n",
    b"bagit-version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
    b"BagIt-Version: 1.0\nTag-File-Character-Encoding: \n",
    b"BagIt-Version: 1.0\n",
    GOOD_DECLARATION + b"\n",
    GOOD_DECLARATION + b"Extra: x\n",
    b"BagIt-Version: 0.98\nTag-File-Character-Encoding: UTF-8\n",    # no such version
    b"bagit-version: 0.97\nTag-File-Character-Encoding: UTF-8\n",    # 0.97 spells it exactly
    b"BagIt-Version: 1.0\nTag-File-Character-Encoding: no-such-codec\n",
    b"BagIt-Version: 1\nTag-File-Character-Encoding: UTF-8\n",
    b"BagIt-Version: 1.0\n\nTag-File-Character-Encoding: UTF-8\n",
    b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\xff\n",
    b"",
])
def test_bagit_txt_rejected(data):
    assert read_declaration(data).errors


def test_stray_space_before_colon_is_explained():
    errors = bagit_txt_errors(b"BagIt-Version : 1.0\nTag-File-Character-Encoding: UTF-8\n")
    assert any("before the colon" in e for e in errors)


# --- manifests: every manifest, once each, paths decoded and confined -----

def add_to_manifest(root: Path, name: str, extra: bytes) -> None:
    rewrite(root / name, (root / name).read_bytes() + extra)
    retag(root)


def test_file_missing_from_one_manifest_is_named(tmp_path):
    root = write_sample(tmp_path)
    path = root / "manifest-sha512.txt"
    lines = path.read_bytes().splitlines(keepends=True)
    rewrite(path, b"".join(line for line in lines if b"data/sub/b.txt" not in line))
    retag(root)
    check = check_bag(root, "bag")
    assert problem_set(check) == {("B003", "bag/data/sub/b.txt", "error")}
    assert "manifest-sha512.txt" in check.problems[0].message


def test_duplicate_manifest_entry_is_an_error(tmp_path):
    root = write_sample(tmp_path)
    first = (root / "manifest-sha256.txt").read_bytes().splitlines(keepends=True)[0]
    add_to_manifest(root, "manifest-sha256.txt", first)
    check = check_bag(root, "bag")
    assert [(p.code, p.file, p.pointer) for p in check.problems] == [
        ("B016", "bag/manifest-sha256.txt", "line 3")]


def test_duplicate_with_different_checksum_is_also_an_error(tmp_path):
    root = write_sample(tmp_path)
    add_to_manifest(root, "manifest-sha256.txt", b"0" * 64 + b"  data/a.txt\n")
    assert codes(check_bag(root, "bag")) == {"B016"}


def test_binary_mode_star_is_a_warning_and_still_checked(tmp_path):
    root = write_sample(tmp_path)
    path = root / "manifest-sha256.txt"
    rewrite(path, path.read_bytes().replace(b"  data/a.txt", b" *data/a.txt"))
    retag(root)
    assert problem_set(check_bag(root, "bag")) == {("B017", "bag/manifest-sha256.txt", "warning")}
    rewrite(root / "data/a.txt", b"changed")  # the starred entry is really checked
    assert ("B004", "bag/data/a.txt", "error") in problem_set(check_bag(root, "bag"))


def test_bare_percent_is_an_error_in_1_0_but_read_literally(tmp_path):
    root = write_sample(tmp_path, ("data/100%.txt", "data/%41.txt"))
    path = root / "manifest-sha256.txt"
    rewrite(path, path.read_bytes().replace(b"%25", b"%"))
    retag(root)
    check = check_bag(root, "bag")
    # Both lines break the RFC; both files are found (read literally) and listed
    # in manifest-sha512.txt, so nothing else is wrong.
    assert [(p.code, p.file) for p in check.problems] == [
        ("B008", "bag/manifest-sha256.txt"), ("B008", "bag/manifest-sha256.txt")]


def test_crlf_manifests_and_percent_encoded_cr_lf(tmp_path):
    root = write_sample(tmp_path, ("data/a\r\nb.txt", "data/c.txt"))
    for alg in ("sha256", "sha512"):
        path = root / f"manifest-{alg}.txt"
        assert b"data/a%0D%0Ab.txt" in path.read_bytes()
        rewrite(path, path.read_bytes().replace(b"\n", b"\r\n"))
    retag(root)
    assert check_bag(root, "bag").problems == ()


@pytest.mark.parametrize("bad", ["/etc/passwd", "data/../../etc/passwd", "../outside.txt",
                                 "data\\..\\..\\x"])
def test_manifest_path_outside_the_bag(tmp_path, bad):
    root = write_sample(tmp_path)
    add_to_manifest(root, "manifest-sha256.txt", f"{'0' * 64}  {bad}\n".encode())
    assert ("B007", "bag/manifest-sha256.txt", "error") in problem_set(check_bag(root, "bag"))


def test_manifest_path_through_a_symlinked_folder(tmp_path):
    root = write_sample(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    os.symlink(outside, root / "data" / "linked")
    digest = hashlib.sha256(b"secret").hexdigest()
    add_to_manifest(root, "manifest-sha256.txt", f"{digest}  data/linked/secret.txt\n".encode())
    found = problem_set(check_bag(root, "bag"))
    assert ("B007", "bag/data/linked", "error") in found
    assert ("B007", "bag/manifest-sha256.txt", "error") in found
    assert not any(code == "B002" for code, _, _ in found)  # not merely "missing"


def test_tag_manifest_path_outside_the_bag(tmp_path):
    root = write_sample(tmp_path)
    path = root / "tagmanifest-sha256.txt"
    rewrite(path, path.read_bytes() + b"0" * 64 + b"  ../bagit.txt\n")
    assert ("B007", "bag/tagmanifest-sha256.txt", "error") in problem_set(check_bag(root, "bag"))


# --- fetch.txt -------------------------------------------------------------

def test_parse_fetch():
    parsed = parse_fetch(b"https://example.org/a 12 data/a%20b%0A.txt\r\n"
                         b"https://example.org/b - data/b.txt\n"
                         b"no-url 1 data/c.txt\n"
                         b"https://example.org/d twelve data/d.txt\n"
                         b"https://example.org/e 1\n"
                         b"https://example.org/f - data/b.txt\n")
    assert [(e.url, e.length, e.path) for e in parsed.entries] == [
        ("https://example.org/a", 12, "data/a%20b\n.txt"), ("https://example.org/b", None, "data/b.txt")]
    assert [line for line, _ in parsed.errors] == [3, 4, 5, 6]


def write_with_fetch(tmp_path, fetch_lines: list[str], drop: str | None = None) -> Path:
    root = write_sample(tmp_path)
    if drop:
        os.unlink(root / drop)
    (root / "fetch.txt").write_text("".join(line + "\n" for line in fetch_lines))
    return root


def test_fetch_txt_with_missing_file_is_incomplete(tmp_path):
    size = len(b"content of data/a.txt\n")
    root = write_with_fetch(tmp_path, [f"https://example.org/a {size} data/a.txt"], drop="data/a.txt")
    check = check_bag(root, "bag")
    assert {(p.code, p.file) for p in check.problems if p.severity == "error"} == set()
    assert ("B024", "bag/data/a.txt", "warning") in problem_set(check)  # not B002 missing, nor B005
    assert check.to_fetch == ("data/a.txt",)
    assert "https://example.org/a" in next(p.message for p in check.problems if p.code == "B024")
    assert problem_set(check) >= {("B020", "bag/fetch.txt", "warning")}


def test_fetch_txt_with_every_file_present_validates_normally(tmp_path):
    size = len(b"content of data/a.txt\n")
    root = write_with_fetch(tmp_path, [f"https://example.org/a {size} data/a.txt",
                                       "https://example.org/b - data/sub/b.txt"])
    check = check_bag(root, "bag")
    assert {p.severity for p in check.problems} == {"warning"}  # fetch.txt is not tag-manifested
    rewrite(root / "data/a.txt", b"tampered")
    assert "B004" in codes(check_bag(root, "bag"))


def test_fetch_txt_length_mismatch(tmp_path):
    root = write_with_fetch(tmp_path, ["https://example.org/a 3 data/a.txt"])
    assert ("B019", "bag/data/a.txt", "error") in problem_set(check_bag(root, "bag"))


@pytest.mark.parametrize("line,code", [
    ("https://example.org/x - bagit.txt", "B019"),         # a tag file
    ("https://example.org/x - ../outside.txt", "B007"),
    ("https://example.org/x - /etc/passwd", "B007"),
    ("https://example.org/x - data/not-in-manifests.txt", "B019"),
    ("not a fetch line", "B019"),
])
def test_fetch_txt_entries_that_are_errors(tmp_path, line, code):
    root = write_with_fetch(tmp_path, [line])
    assert (code, "bag/fetch.txt", "error") in problem_set(check_bag(root, "bag"))


# --- portability warnings -----------------------------------------------

def test_portability_hazards():
    nfc, nfd = "data/caf\u00e9.txt", "data/cafe\u0301.txt"
    hazards = portability_hazards([nfc, nfd, "data/A.txt", "data/a.txt", "data/b.txt"])
    assert hazards == sorted([((nfd, nfc) if nfd < nfc else (nfc, nfd),
                               "differ only by Unicode normalisation (NFC/NFD)"),
                              (("data/A.txt", "data/a.txt"), "differ only by upper/lower case")])
    assert portability_hazards(["data/a.txt", "data/b.txt"]) == []


def test_case_and_normalisation_twins_are_warnings(tmp_path):
    names = ("data/Report.pdf", "data/report.pdf", "data/caf\u00e9.txt", "data/cafe\u0301.txt")
    check = check_bag(write_sample(tmp_path, names), "bag")
    assert {(p.code, p.severity) for p in check.problems} == {("B018", "warning")}
    assert {p.file for p in check.problems} == {f"bag/{n}" for n in names}


# --- modes ------------------------------------------------------------------

def test_fast_mode_checks_payload_oxum_only(tmp_path):
    root = write_sample(tmp_path)
    rewrite(root / "data/a.txt", b"Content of data/a.txt\n")  # same size
    assert check_bag(root, "bag", mode=FAST).problems == ()
    assert codes(check_bag(root, "bag")) == {"B004"}
    rewrite(root / "data/a.txt", b"x")
    assert codes(check_bag(root, "bag", mode=FAST)) == {"B005"}
    check = check_bag(root, "bag", mode=FAST)
    assert (check.files_checked, check.bytes_checked) == (2, 1 + len(b"content of data/sub/b.txt\n"))


def test_fast_mode_needs_payload_oxum(tmp_path):
    root = write_sample(tmp_path)
    info = root / "bag-info.txt"
    rewrite(info, b"".join(line for line in info.read_bytes().splitlines(keepends=True)
                           if not line.startswith(b"Payload-Oxum")))
    assert codes(check_bag(root, "bag", mode=FAST)) == {"B022"}


def test_completeness_only_mode_hashes_nothing(tmp_path):
    root = write_sample(tmp_path)
    rewrite(root / "data/a.txt", b"Content of data/a.txt\n")
    rewrite(root / "bag-info.txt", (root / "bag-info.txt").read_bytes().replace(b"sample", b"simple"))
    assert check_bag(root, "bag", mode=COMPLETENESS).problems == ()
    (root / "data/new.txt").write_text("n")
    os.unlink(root / "data/sub/b.txt")
    found = {(p.code, p.file) for p in check_bag(root, "bag", mode=COMPLETENESS).problems}
    assert {("B003", "bag/data/new.txt"), ("B002", "bag/data/sub/b.txt")} <= found


def test_unknown_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown mode 'quick'"):
        check_bag(write_sample(tmp_path), "bag", mode="quick")


# --- BagIt 0.97 bags made by bagit-python ---------------------------------

def make_097(tmp_path: Path, **kwargs) -> Path:
    root = tmp_path / "old"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("alpha\n")
    (root / "sub" / "b%20c.txt").write_text("beta\n")  # '%' is literal in 0.97
    bagit.make_bag(str(root), **kwargs)
    return root


@pytest.mark.parametrize("checksums", [None, ["md5", "sha256"]])
def test_bagit_python_097_bags_validate(tmp_path, checksums):
    root = make_097(tmp_path, **({"checksums": checksums} if checksums else {}))
    assert (root / "bagit.txt").read_bytes().startswith(b"BagIt-Version: 0.97\n")
    check = check_bag(root, "old")
    assert check.version == "0.97" and check.files_checked == 2
    # valid; the only warnings: the literal '%' BagIt 1.0 would require as %25, once per manifest
    assert {(p.code, p.severity) for p in check.problems} == {("B023", "warning")}
    assert {p.file for p in check.problems} == {f"old/manifest-{alg}.txt" for alg in checksums or ["sha256", "sha512"]}


@pytest.mark.parametrize("alg", ["md5", "sha256"])
def test_bagit_python_097_checksums_are_checked_strictly(tmp_path, alg):
    root = make_097(tmp_path, checksums=["md5", "sha256"])
    path = root / f"manifest-{alg}.txt"
    rewrite(path, path.read_bytes().replace(b"data/a.txt", b"data/A.txt") + b"")
    rewrite(root / "data" / "a.txt", b"alphA\n")
    found = {(p.code, p.file) for p in check_bag(root, "old").problems if p.severity == "error"}
    assert ("B004", "old/data/a.txt") in found  # the other algorithm still catches it
    assert ("B006", f"old/manifest-{alg}.txt") in found  # tag manifests of 0.97 are verified
