"""Every BagIt version read as its own text says (pipeline/bag/versions.py).

Hand-made bags of each version follow the drafts' "basic bag" example
(draft-kunze-bagit-00 … -14: ``myfirstbag`` with an image and its OCR text,
``manifest-md5.txt``, the version's bag-info file); bags written by LoC's
bagit-python (0.97) with other checksums and encodings are cross-checked
with ``bagit.Bag(path).validate()``. Each rule a version changes has a bag
that one version accepts and another rejects: the positive and negative
control of each other.
"""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import bagit
import pytest

from pipeline.bagit.validator import check_bag
from pipeline.cli import main

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
OCR = "Chapter I. The Yoshimuri papers, café edition.\n".encode()
PAYLOAD = {"data/27613-h/images/q172.png": PNG, "data/27613-h/images/q172.txt": OCR}
INFO = ("Source-Organization: Spengler University\n"
        "Contact-Name: Edna Janssen\n"
        "External-Description: Uncompressed greyscale TIFF images from the\n"
        "     Yoshimuri papers colle...\n"
        "External-Identifier: spengler_yoshimuri_001\n")


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def manifest(entries: dict[str, bytes], digest=md5, sep: str = " ") -> bytes:
    return "".join(f"{digest(data)}{sep}{path}\n" for path, data in sorted(entries.items())).encode()


def old_bag(tmp_path: Path, version: str, *, name: str = "myfirstbag", info: str = INFO,
            declaration: bytes | None = None, extra: dict[str, bytes] | None = None,
            manifests: dict[str, bytes] | None = None) -> Path:
    """A bag as the drafts' example shows it, declaring *version*."""
    root = tmp_path / name
    for path, data in PAYLOAD.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    (root / "bagit.txt").write_bytes(declaration or
                                     f"BagIt-Version: {version}\nTag-File-Character-Encoding: UTF-8\n".encode())
    info_file = "package-info.txt" if version in ("0.93", "0.94", "0.95") else "bag-info.txt"
    oxum = "" if info_file == "package-info.txt" else f"Payload-Oxum: {len(PNG) + len(OCR)}.2\n"
    (root / info_file).write_text(info + oxum, encoding="utf-8")
    for mname, data in (manifests or {"manifest-md5.txt": manifest(PAYLOAD)}).items():
        (root / mname).write_bytes(data)
    for path, data in (extra or {}).items():
        (root / path).write_bytes(data)
    return root


def errors(root: Path) -> set[tuple[str, str]]:
    return {(p.code, p.file.split("/", 1)[1] if "/" in p.file else "")
            for p in check_bag(root, root.name).problems if p.severity == "error"}


def warnings(root: Path) -> set[str]:
    return {p.code for p in check_bag(root, root.name).problems if p.severity == "warning"}


@pytest.mark.parametrize("version", ["0.93", "0.94", "0.95", "0.96", "0.97", "1.0"])
def test_the_drafts_basic_bag_is_valid_in_its_own_version(tmp_path, version):
    root = old_bag(tmp_path, version)
    check = check_bag(root, "b")
    assert [p for p in check.problems if p.severity == "error"] == []
    assert check.version == version and check.files_checked == 2
    assert check.info is not None and check.info.get("Contact-Name") == "Edna Janssen"
    assert check.info.get("External-Description").endswith("Yoshimuri papers colle...")
    # negative control: the same bag with one payload byte changed
    (root / "data/27613-h/images/q172.txt").write_bytes(OCR.replace(b"I.", b"X."))
    assert errors(root) == {("B004", "data/27613-h/images/q172.txt")}


@pytest.mark.parametrize("version", ["0.93", "0.94", "0.95", "0.96", "0.97"])
def test_a_last_line_without_a_line_break_is_read_in_every_version(tmp_path, version):
    """The issue's case: bagit.txt and manifest ending without LF. Only RFC 8493
    says anything, and it only RECOMMENDS the last line break: a warning."""
    root = old_bag(tmp_path, version,
                   declaration=f"BagIt-Version: {version}\nTag-File-Character-Encoding: UTF-8".encode(),
                   manifests={"manifest-md5.txt": manifest(PAYLOAD).rstrip(b"\n")})
    assert errors(root) == set() and "B023" in warnings(root)
    if version in ("0.96", "0.97"):  # bagit-python reads these versions' bag-info.txt the same way
        bagit.Bag(str(root)).validate()


def test_unknown_version_is_refused(tmp_path):
    root = old_bag(tmp_path, "0.98")
    assert ("B001", "bagit.txt") in errors(root)
    assert errors(old_bag(tmp_path / "ok", "0.97")) == set()  # positive control


# --- 0.93 and 0.94: every manifest lists the same files, tags may be listed --

def test_093_and_094_require_every_manifest_to_list_every_file_095_does_not(tmp_path):
    one = {"data/27613-h/images/q172.png": PNG}
    other = {"data/27613-h/images/q172.txt": OCR}
    two = {"manifest-md5.txt": manifest(one),
           "manifest-sha1.txt": manifest(other, lambda d: hashlib.sha1(d).hexdigest())}
    for version in ("0.93", "0.94"):
        root = old_bag(tmp_path / version, version, manifests=two)
        assert {code for code, _ in errors(root)} == {"B003"}
    for version in ("0.95", "0.96", "0.97"):  # "it must belong to the union of file manifests"
        root = old_bag(tmp_path / version, version, manifests=two)
        assert errors(root) == set() and "B023" in warnings(root)
    assert {code for code, _ in errors(old_bag(tmp_path / "1.0", "1.0", manifests=two))} == {"B003"}


def test_093_lists_tag_files_in_the_payload_manifest_and_checks_them(tmp_path):
    tags = {"bagit.txt": b"BagIt-Version: 0.93\nTag-File-Character-Encoding: UTF-8\n"}
    listing = {"manifest-md5.txt": manifest({**PAYLOAD, **tags})}
    root = old_bag(tmp_path / "a", "0.93", manifests=listing)
    assert errors(root) == set() and "B023" in warnings(root)
    (root / "bagit.txt").write_bytes(tags["bagit.txt"].replace(b"\n", b"\r\n"))
    assert errors(root) == {("B006", "bagit.txt")}  # its checksum is verified
    listing = {"manifest-md5.txt": manifest({**PAYLOAD, "bagit.txt": b"BagIt-Version: 0.95\n"
                                             b"Tag-File-Character-Encoding: UTF-8\n"})}
    assert ("B008", "manifest-md5.txt") in errors(old_bag(tmp_path / "b", "0.95", manifests=listing))


def test_093_checksums_in_base64_as_its_text_says(tmp_path):
    b64 = lambda data: base64.b64encode(hashlib.md5(data).digest()).decode()  # noqa: E731
    listing = {"manifest-md5.txt": manifest(PAYLOAD, b64)}
    root = old_bag(tmp_path / "a", "0.93", manifests=listing)
    assert errors(root) == set() and "B023" in warnings(root)
    (root / "data/27613-h/images/q172.png").write_bytes(PNG[:-1] + b"!")
    assert errors(root) == {("B004", "data/27613-h/images/q172.png")}
    assert ("B008", "manifest-md5.txt") in errors(old_bag(tmp_path / "b", "0.94", manifests=listing))


@pytest.mark.parametrize("version", ["0.93", "0.94"])
def test_tag_checksum_files_of_093_and_094_are_verified(tmp_path, version):
    listing = manifest(PAYLOAD)
    tag_sum = f"{md5(listing)} manifest-md5.txt\n".encode()
    root = old_bag(tmp_path, version, extra={"manifest-md5.txt.md5": tag_sum})
    assert errors(root) == set()
    (root / "manifest-md5.txt.md5").write_bytes(tag_sum.replace(md5(listing).encode(), b"0" * 32))
    assert errors(root) == {("B006", "manifest-md5.txt")}


# --- 0.95 on: tag manifests; 0.96 on: bag-info.txt --------------------------

def test_095_tag_manifests_are_verified(tmp_path):
    root = old_bag(tmp_path, "0.95")
    info = (root / "package-info.txt").read_bytes()
    (root / "tagmanifest-md5.txt").write_bytes(f"{md5(info)}  package-info.txt\n".encode())
    assert errors(root) == set()
    (root / "package-info.txt").write_bytes(info.replace(b"Edna", b"Edda"))
    assert errors(root) == {("B006", "package-info.txt")}


@pytest.mark.parametrize("version,name", [("0.93", "package-info.txt"), ("0.95", "package-info.txt"),
                                          ("0.96", "bag-info.txt"), ("0.97", "bag-info.txt")])
def test_the_bag_info_file_has_the_name_its_version_gives_it(tmp_path, version, name):
    root = old_bag(tmp_path, version)
    check = check_bag(root, "b")
    assert (root / name).is_file() and check.info.get("External-Identifier") == "spengler_yoshimuri_001"


def test_payload_oxum_is_checked_where_given_and_optional_before_1_0(tmp_path):
    root = old_bag(tmp_path, "0.96")
    (root / "bag-info.txt").write_text(INFO + "Payload-Oxum: 1.1\n")
    assert ("B005", "bag-info.txt") in errors(root)
    (root / "bag-info.txt").write_text(INFO)
    assert errors(root) == set()


def test_whitespace_around_the_colon_is_read_before_1_0_only(tmp_path):
    spaced = INFO.replace("Contact-Name: ", "Contact-Name :  ")
    root = old_bag(tmp_path / "a", "0.97", info=spaced)
    assert errors(root) == set() and "B023" in warnings(root)
    assert check_bag(root, "a").info.get("Contact-Name") == "Edna Janssen"
    assert ("B010", "bag-info.txt") in errors(old_bag(tmp_path / "b", "1.0", info=spaced))


def test_declaration_label_case_is_free_before_097_only(tmp_path):
    """The drafts' own example writes 'BagIt-version'."""
    for version, ok in (("0.95", True), ("0.96", True), ("0.97", False), ("1.0", False)):
        root = old_bag(tmp_path / version, version, declaration=f"BagIt-version: {version}\n"
                                                                 "Tag-File-Character-Encoding: UTF-8\n".encode())
        assert (errors(root) == set()) is ok, version


# --- tag files in a declared encoding ---------------------------------------

def test_tag_files_are_decoded_by_the_declared_encoding(tmp_path):
    """A Latin-1 bag: bag-info and the manifest path 'café.txt' in ISO-8859-1."""
    root = old_bag(tmp_path / "a", "0.97",
                   declaration=b"BagIt-Version: 0.97\nTag-File-Character-Encoding: ISO-8859-1\n")
    (root / "data/café.txt").write_bytes(OCR)
    (root / "bag-info.txt").write_bytes("Contact-Name: Renée Côté\n".encode("latin-1"))
    entries = {**PAYLOAD, "data/café.txt": OCR}
    (root / "manifest-md5.txt").write_bytes(manifest(entries).decode().encode("latin-1"))
    check = check_bag(root, "a")
    assert [p for p in check.problems if p.severity == "error"] == [] and check.files_checked == 3
    assert check.info.get("Contact-Name") == "Renée Côté"
    bagit.Bag(str(root)).validate()  # bagit-python agrees
    # negative control: the same bytes, declared UTF-8
    (root / "bagit.txt").write_bytes(b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n")
    assert {"B008", "B010"} <= {code for code, _ in errors(root)}


# --- bags written by bagit-python --------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {"checksums": ["md5"]},
    {"checksums": ["sha1", "sha512"]},
    {"checksums": ["sha256", "sha384"]},
])
def test_bags_written_by_bagit_python(tmp_path, kwargs):
    root = tmp_path / "received"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "Zoë.txt").write_text("beta\n", encoding="utf-8")
    (root / "a.txt").write_text("alpha\n")
    bagit.make_bag(str(root), {"Contact-Name": "Renée Côté"}, **kwargs)
    bagit.Bag(str(root)).validate()
    check = check_bag(root, "received")
    assert [p for p in check.problems if p.severity == "error"] == [] and check.files_checked == 2
    assert check.info.get("Contact-Name") == "Renée Côté"
    (root / "data/a.txt").write_text("alphA\n")
    assert {("B004", "data/a.txt")} <= errors(root)
    with pytest.raises(bagit.BagValidationError, match="a.txt"):
        bagit.Bag(str(root)).validate()


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_bagit_python_with_another_encoding_writes_a_bag_both_readers_refuse(tmp_path, encoding):
    """make_bag(encoding=...) writes the manifests in that encoding but declares
    UTF-8 in bagit.txt, so the bag contradicts itself: a negative control from
    another tool (the positive one is the hand-made Latin-1 bag above)."""
    root = tmp_path / "received"
    root.mkdir()
    (root / "Zoë.txt").write_text("beta\n", encoding="utf-8")
    with pytest.raises(UnicodeDecodeError):  # bagit-python cannot open the bag it just wrote
        bagit.make_bag(str(root), checksums=["sha256"], encoding=encoding)
    assert (root / "bagit.txt").read_bytes().endswith(b"Tag-File-Character-Encoding: UTF-8\n")
    assert ("B008", "manifest-sha256.txt") in errors(root)
    # declared as what the manifest is: Latin-1 reads (its bag-info.txt is ASCII);
    # in UTF-16 the UTF-8 bag-info.txt is now the file that contradicts the declaration
    (root / "bagit.txt").write_text(f"BagIt-Version: 0.97\nTag-File-Character-Encoding: {encoding}\n")
    (root / "tagmanifest-sha256.txt").unlink()  # it lists the old bagit.txt
    assert errors(root) == (set() if encoding == "latin-1" else {("B010", "bag-info.txt")})


# --- holey bags --------------------------------------------------------------

@pytest.mark.parametrize("version", ["0.96", "1.0"])
def test_a_holey_bag_is_valid_but_incomplete_and_says_what_is_missing(tmp_path, version):
    root = old_bag(tmp_path, version)
    missing = "data/27613-h/images/q172.png"
    (root / "fetch.txt").write_text(f"https://example.org/q172.png {len(PNG)} {missing}\n")
    (root / missing).unlink()
    check = check_bag(root, "b")
    assert [p for p in check.problems if p.severity == "error"] == [] and check.to_fetch == (missing,)
    assert ("B024", f"b/{missing}") in {(p.code, p.file) for p in check.problems}
    out, err = io.StringIO(), io.StringIO()
    assert main(["verify", str(root)], out, err) == 0
    assert "incomplete" in out.getvalue() and "1 file to fetch" in out.getvalue(), out.getvalue()
    # negative control: the file that is present is still checked
    (root / "data/27613-h/images/q172.txt").write_bytes(b"changed")
    assert main(["verify", str(root)], io.StringIO(), io.StringIO()) == 1


def test_the_cli_accepts_an_old_bag_and_refuses_a_broken_one(tmp_path):
    root = old_bag(tmp_path, "0.93")
    out = io.StringIO()
    assert main(["verify", str(root)], out, io.StringIO()) == 0 and "OK" in out.getvalue()
    (root / "manifest-md5.txt").write_bytes(manifest({"data/27613-h/images/q172.png": PNG}))
    out = io.StringIO()
    assert main(["verify", str(root)], out, io.StringIO()) == 1 and "B003" in out.getvalue()


# --- our own packages keep their stricter rules ---------------------------------

def test_what_other_bags_may_do_our_packages_may_not(tmp_path):
    from submit_servers import make_archive
    from pipeline.archive.package_check import verify_bag

    package = next((make_archive(tmp_path, ("alpha",))).glob("statements-*"))
    assert verify_bag(package).ok  # positive control
    (package / "bagit.txt").write_bytes((package / "bagit.txt").read_bytes().rstrip(b"\n"))
    pdf = "data/alpha/alpha.pdf"
    (package / "fetch.txt").write_text(f"https://example.org/alpha.pdf - {pdf}\n")
    (package / pdf).unlink()
    as_package = {(p.code, p.file, p.severity) for p in verify_bag(package).problems}
    as_foreign = {(p.code, p.file, p.severity) for p in verify_bag(package, package_rules=False).problems}
    name = package.name
    assert ("B012", f"{name}/{pdf}", "error") in as_package
    assert ("B024", f"{name}/{pdf}", "warning") in as_foreign
    assert ("B001", f"{name}/bagit.txt", "error") in as_package
    assert ("B023", f"{name}/bagit.txt", "warning") in as_foreign
    assert not any(code in ("B001", "B012") for code, _, _ in as_foreign)
