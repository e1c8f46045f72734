"""pipeline.bag: paths, manifests, tag files, writing and checking one bag."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import bagit
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.bag.archive import PackageName, parse_package_name, valid_group
from pipeline.bag.manifest import hash_file, format_manifest, parse_manifest
from pipeline.bag.paths import decode_path, encode_path, unsafe_reason
from pipeline.bag.tagfile import bagit_txt_errors, format_tags, parse_tags
from pipeline.bag.validator import check_bag
from pipeline.bag.writer import PayloadItem, plan_payload, write_bag

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


def test_manifest_round_trip_sorted_and_encoded():
    entries = {"data/b": "b" * 64, "data/a%\n": "a" * 64, "data/\u2028x": "c" * 64}
    text = format_manifest(entries)
    assert text.decode().splitlines(keepends=False)[0].endswith("data/a%25%0A")
    assert text.endswith(b"\n") and b"\r" not in text
    assert text.decode("utf-8").count("\n") == 3  # U+2028 is not a line break in BagIt
    assert parse_manifest(text, "sha256") == parse_manifest(text, "sha256")
    assert dict(parse_manifest(text, "sha256").entries) == entries


def test_parse_manifest_reports_bad_lines():
    data = ("a" * 64 + "  data/ok\n" + "nothex  data/x\n" + "a" * 63 + " data/short\n"
            + "lonely\n" + "A" * 64 + "\tdata/ok\n" + "B" * 64 + " \tdata/upper\r\n").encode()
    parsed = parse_manifest(data, "sha256")
    assert parsed.entries == {"data/ok": "a" * 64, "data/upper": "b" * 64}
    assert [line for line, _ in parsed.errors] == [2, 3, 4, 5]
    assert "more than once" in parsed.errors[-1][1]


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
    with pytest.raises(ValueError):
        format_tags([("Label", "a\nb")])
    with pytest.raises(ValueError):
        format_tags([("Bad: label", "x")])


def test_parse_tags_reports_bad_lines():
    parsed = parse_tags(b"Good: yes\nno colon here\nNoSpace:x\n  folded\nLast: no newline")
    assert parsed.get("Good") == "yes"
    assert [n for n, _ in parsed.errors] == [5, 2, 3, 4]


def test_bagit_txt_rules():
    assert bagit_txt_errors(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n") == []
    assert bagit_txt_errors(b"BagIt-Version: 0.97\r\nTag-File-Character-Encoding: UTF-8\r\n") == []
    assert bagit_txt_errors(b"\xef\xbb\xbfBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    assert bagit_txt_errors(b"BagIt-Version: 2.0\nTag-File-Character-Encoding: UTF-8\n")
    assert bagit_txt_errors(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: Latin-1\n")
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
    write_bag(root, items, [("External-Identifier", "sample")], expected=plan_payload(items))
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


def test_writer_refuses_unsafe_or_clashing_paths(tmp_path):
    for bad in (["data/../x"], ["tag.txt"], ["data/a", "data/a"], ["data/a", "data/a/b"]):
        with pytest.raises(ValueError):
            plan_payload([PayloadItem(n, content=b"x") for n in bad])


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


def test_fetch_txt_rejected(tmp_path):
    root = write_sample(tmp_path)
    (root / "fetch.txt").write_text("https://example.org/x - data/x\n")
    assert codes(check_bag(root, "bag")) == {"B012"}
