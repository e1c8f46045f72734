"""What each BagIt version allows, as its own text says: one row per version.

The reader (:mod:`.validator` and the parsers it calls) looks every
version-dependent rule up here, so a bag is judged by the text of the version
it declares, and warned about (``B023``) where BagIt 1.0 would reject it.

The texts, read for this table (IETF Internet-Drafts, then RFC 8493):

========  ===========================  ==============================================
version   text                         what differs from the next row
========  ===========================  ==============================================
0.93      draft-kunze-bagit-00 (2008)  checksums *base64*-encoded (as written; hex
                                       is read too, as every tool wrote it); tag files
                                       may be listed in the payload manifest; every
                                       manifest lists the same files; tag checksum
                                       files ``<tag file>.<alg>``; ``package-info.txt``
0.94      draft-kunze-bagit-01         checksums hex; otherwise as 0.93
0.95      draft-kunze-bagit-02         ``tagmanifest-<alg>.txt`` (tag checksum files
                                       gone); a payload file need be in one manifest
                                       only (the union); ``package-info.txt``
0.96      draft-kunze-bagit-03, -04,   ``bag-info.txt`` with folded values and
          -05                          ``Payload-Oxum`` (optional: "should")
0.97      draft-kunze-bagit-06 … -14   tag directories; ``%0A``/``%0D`` in manifest
                                       and fetch paths; ``*`` before a path allowed
1.0       RFC 8493 (2018)              every payload manifest lists every payload
                                       file; ``%25`` too; ``Label: value`` with one
                                       space; tag manifests list every manifest;
                                       fetch.txt lists no tag files
========  ===========================  ==============================================

Shared by all: lines end in LF, CRLF or CR. Before 0.97 "each line *should*
be terminated"; from 0.97 on each line "MUST" be, and RFC 8493 makes plain
that this separates lines, the final line break being only RECOMMENDED, so
a last line without one is read everywhere (and warned about).
``Tag-File-Character-Encoding`` names the encoding of the other tag files:
0.93–0.96 assume UTF-8, 0.96's last text (-05) and later ones decode by the
declared name, and RFC 8493 allows any registered encoding ("SHOULD be
UTF-8"), so every version decodes by the declared name and warns when it is
not UTF-8. Before 1.0, whitespace around a tag's colon is part of neither
label nor value (RFC 8493 §2.2.2 requires readers to accept it); before 0.97
the declaration's labels are case-insensitive (the drafts' own examples write
``BagIt-version``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Percent-escapes decoded in manifest and fetch paths, by version.
NO_ESCAPES: frozenset[str] = frozenset()
CR_LF_ESCAPES = frozenset({"0a", "0d"})
RFC_ESCAPES = frozenset({"0a", "0d", "25"})


@dataclass(frozen=True)
class BagItVersion:
    """The rules of one BagIt version that the reader depends on."""

    number: str
    text: str
    info_file: str = "bag-info.txt"
    #: manifests may give checksums in base64 (0.93's text says so)
    base64_checksums: bool = False
    #: a payload manifest may list tag files too (0.93, 0.94)
    tags_in_payload_manifest: bool = False
    #: every payload file in every payload manifest (0.93, 0.94, 1.0) rather
    #: than in at least one (0.95–0.97)
    every_manifest_lists_every_file: bool = False
    #: ``<tag file>.<alg>`` one-line tag checksum files (0.93, 0.94)
    tag_checksum_files: bool = False
    #: ``tagmanifest-<alg>.txt`` defined (0.95 on)
    tag_manifests: bool = True
    #: ``Payload-Oxum`` defined in the bag-info file (0.96 on)
    payload_oxum: bool = True
    path_escapes: frozenset[str] = CR_LF_ESCAPES
    #: ``Label: value`` exactly (one space or tab after the colon, none before)
    strict_labels: bool = False
    #: the declaration's labels must be spelled exactly (0.97 on)
    exact_declaration_labels: bool = True
    #: a BOM in a tag file other than bagit.txt is an error (0.97 on: only an
    #: encoding that needs one may have one); before, the texts say nothing
    bom_forbidden: bool = True
    #: each tag manifest must list every payload manifest (1.0)
    tag_manifests_list_manifests: bool = False
    #: fetch.txt may list only payload files (1.0); before, "the corresponding
    #: payload file" says the same, so this is not relaxed anywhere
    md5sum_star: bool = True


_BEFORE_097 = dict(path_escapes=NO_ESCAPES, exact_declaration_labels=False, bom_forbidden=False,
                   md5sum_star=False)

VERSIONS: dict[str, BagItVersion] = {v.number: v for v in (
    BagItVersion("0.93", "draft-kunze-bagit-00", info_file="package-info.txt",
                 base64_checksums=True, tags_in_payload_manifest=True,
                 every_manifest_lists_every_file=True, tag_checksum_files=True,
                 tag_manifests=False, payload_oxum=False, **_BEFORE_097),
    BagItVersion("0.94", "draft-kunze-bagit-01", info_file="package-info.txt",
                 tags_in_payload_manifest=True, every_manifest_lists_every_file=True,
                 tag_checksum_files=True, tag_manifests=False, payload_oxum=False, **_BEFORE_097),
    BagItVersion("0.95", "draft-kunze-bagit-02", info_file="package-info.txt",
                 payload_oxum=False, **_BEFORE_097),
    BagItVersion("0.96", "draft-kunze-bagit-03 to -05", **_BEFORE_097),
    BagItVersion("0.97", "draft-kunze-bagit-06 to -14"),
    BagItVersion("1.0", "RFC 8493", every_manifest_lists_every_file=True, path_escapes=RFC_ESCAPES,
                 strict_labels=True, tag_manifests_list_manifests=True),
)}

CURRENT = VERSIONS["1.0"]


def known_versions() -> str:
    return ", ".join(VERSIONS)
