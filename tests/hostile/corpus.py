"""The hostile corpus: each case writes real files and states its exact outcome.

Two kinds:

* :data:`INVALID` — input the pipeline must refuse. Each case writes its files
  into an empty ``statements/`` folder and names the problems expected, as
  (code, file, pointer): exit 1 (unless only warnings), nothing archived.
* :data:`DANGEROUS` — valid statements whose content tries to make the
  renderer fetch, include or execute something. They are all built together
  and must render: the hostile part neutralised, the text still visible, the
  template syntax literal.

Cases that reference the outside world use ``env.base`` (a local HTTP server
that records every request) and ``env.canary`` (a file outside the project
watched with inotify); see ``tests/test_hostile.py``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from statement_factory import metadata_for

S = "statements"


@dataclass(frozen=True)
class Env:
    base: str  # http://127.0.0.1:PORT of the recording server
    canary: Path  # a file outside the project that must never be opened
    outside: Path  # the folder holding it (and canary.json)


@dataclass(frozen=True)
class Invalid:
    write: Callable[[Path, Env], None]
    expected: frozenset[tuple[str, str, str]]
    command: str = "build"
    exit_code: int = 1


@dataclass(frozen=True)
class Dangerous:
    suffix: str
    body: str  # formatted with base=, canary=, canary_uri=
    visible: tuple[str, ...]  # must be in the PDF's text
    absent: tuple[str, ...] = ()  # must not be (formatted like body)
    metadata: dict[str, Any] = field(default_factory=dict)


# --- writers -----------------------------------------------------------------------

def meta(folder: Path, identifier: str = "bad", stem: str | None = None, **overrides: Any) -> None:
    record = {k: v for k, v in metadata_for(identifier, **overrides).items() if v is not DROP}
    data = json.dumps(record).encode("ascii")  # \u escapes: lone surrogates and controls stay JSON text
    (folder / f"{identifier if stem is None else stem}.json").write_bytes(data)


def body(folder: Path, data: bytes | str = "Some text.\n", name: str = "bad.txt") -> None:
    (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)


def raw(data: bytes, with_body: bool = True) -> Callable[[Path, Env], None]:
    def write(folder: Path, env: Env) -> None:
        (folder / "bad.json").write_bytes(data)
        if with_body:
            body(folder)
    return write


def record(stem: str | None = None, body_bytes: bytes | str = "Some text.\n", identifier: str = "bad",
           **overrides: Any) -> Callable[[Path, Env], None]:
    def write(folder: Path, env: Env) -> None:
        meta(folder, identifier, stem, **overrides)
        name = (identifier if stem is None else stem) + ".txt"
        body(folder, body_bytes, name)
    return write


def link(name: str, target: Callable[[Path, Env], str | Path], metadata: bool = True) -> Callable[[Path, Env], None]:
    """``name`` in statements/ is a symbolic link to ``target``; the other file is real."""
    def write(folder: Path, env: Env) -> None:
        if name.endswith(".json"):
            body(folder)
        elif metadata:
            meta(folder)
        os.symlink(target(folder, env), folder / name)
    return write


def fifo_body(folder: Path, env: Env) -> None:
    meta(folder)
    os.mkfifo(folder / "bad.txt")  # a read would block for ever


def linked_folder(folder: Path, env: Env) -> None:
    os.symlink(env.outside, folder / "linked", target_is_directory=True)


def non_utf8_name(folder: Path, env: Env) -> None:
    (folder / os.fsdecode(b"\xff.json")).write_bytes(json.dumps(metadata_for("bad")).encode())
    body(folder, name=os.fsdecode(b"\xff.txt"))


def duplicate(folder: Path, env: Env) -> None:
    meta(folder, "dup-b", stem="dup-a")
    body(folder, name="dup-a.txt")
    meta(folder, "dup-b")
    body(folder, name="dup-b.txt")


def empty_folder(folder: Path, env: Env) -> None:
    (folder / "README.md").write_text("# nothing here\n")


def two_bodies(folder: Path, env: Env) -> None:
    record()(folder, env)
    body(folder, "# Also\n", "bad.md")


def nested(depth: int, inside: bool) -> bytes:
    deep = b"[" * depth + b"]" * depth
    if not inside:
        return deep
    return json.dumps(metadata_for("bad")).encode()[:-1] + b', "description": ' + deep + b"}"


DROP = object()
J, T = f"{S}/bad.json", f"{S}/bad.txt"
GOOD_JSON = json.dumps(metadata_for("bad")).encode()
TWENTY_MB = b"A statement that goes on. " * (20 * 2**20 // 26 + 1)


def _e(*triples: tuple[str, str, str]) -> frozenset[tuple[str, str, str]]:
    return frozenset(triples)


INVALID: dict[str, Invalid] = {
    # --- metadata that is not JSON, or JSON no record could be
    "json_syntax_error": Invalid(raw(b'{"identifier": "bad", "title": }'), _e(("V001", J, ""))),
    "json_truncated": Invalid(raw(GOOD_JSON[: len(GOOD_JSON) // 2]), _e(("V001", J, ""))),
    "json_empty_file": Invalid(raw(b""), _e(("V001", J, ""))),
    "json_not_utf8": Invalid(raw(GOOD_JSON.replace(b"Test statement", b"D\xe9claration")), _e(("V001", J, ""))),
    "json_utf16_with_bom": Invalid(raw(GOOD_JSON.decode().encode("utf-16")), _e(("V001", J, ""))),
    "json_nan": Invalid(raw(GOOD_JSON[:-1] + b', "description": NaN}'), _e(("V001", J, ""))),
    "json_infinite_float": Invalid(raw(GOOD_JSON[:-1] + b', "description": 1e999}'), _e(("V001", J, ""))),
    "json_huge_integer": Invalid(raw(GOOD_JSON[:-1] + b', "description": ' + b"9" * 5000 + b"}"), _e(("V001", J, ""))),
    "json_10000_nested_arrays": Invalid(raw(nested(10_000, False)), _e(("V001", J, ""))),
    "json_nested_inside_a_field": Invalid(raw(nested(200, True)), _e(("V001", J, ""))),
    "json_huge_metadata": Invalid(record(description="x" * (2 * 2**20)), _e(("V017", J, ""))),
    "json_top_level_array": Invalid(raw(b"[1, 2, 3]"), _e(("V002", J, ""))),
    "json_duplicate_key": Invalid(raw(b'{"identifier": "bad", "identifier": "x"}'), _e(("V001", J, ""))),
    # --- wrong types, missing fields
    "type_title_number": Invalid(record(title=42), _e(("V002", J, "/title"))),
    "type_languages_string": Invalid(record(languages="en"), _e(("V002", J, "/languages"))),
    "type_rights_array": Invalid(record(rights=["public"]), _e(("V002", J, "/rights"))),
    "type_identifier_number": Invalid(record(identifier=7, stem="bad"), _e(("V002", J, "/identifier"))),
    "type_subject_object": Invalid(record(subjects=[{"a": 1}]), _e(("V002", J, "/subjects/0"))),
    "missing_title": Invalid(record(title=DROP), _e(("V004", J, "/title"))),
    "missing_everything": Invalid(raw(b"{}"), frozenset(("V004", J, f"/{n}") for n in (
        "identifier", "title", "issuer", "document_type", "date_issued", "languages", "source", "rights"))),
    # --- dates, language tags
    "date_february_30": Invalid(record(date_issued="2019-02-30"), _e(("V005", J, "/date_issued"))),
    "date_month_13": Invalid(record(date_issued="2019-13"), _e(("V005", J, "/date_issued"))),
    "date_year_zero": Invalid(record(date_issued="0000-01-01"), _e(("V005", J, "/date_issued"))),
    "date_retrieved_impossible": Invalid(record(source={"note": "n", "retrieved": "2019-04-31"}),
                                         _e(("V005", J, "/source/retrieved"))),
    "lang_underscore": Invalid(record(languages=["en_US"]), _e(("V006", J, "/languages/0"))),
    "lang_cyrillic_lookalike": Invalid(record(languages=["en", "\u0435n"]), _e(("V006", J, "/languages/1"))),
    "lang_trailing_newline": Invalid(record(languages=["en\n"]), _e(("V006", J, "/languages/0"))),
    "lang_script_injection": Invalid(record(languages=["en\"><script>"]), _e(("V006", J, "/languages/0"))),
    # --- identifiers
    "id_duplicate": Invalid(duplicate, _e(("V011", f"{S}/dup-a.json", "/identifier"),
                                          ("V007", f"{S}/dup-b.json", "/identifier"))),
    "id_dot_dot_slash": Invalid(record("bad", identifier="../x"), _e(("V012", J, "/identifier"), ("V011", J, "/identifier"))),
    "id_absolute_path": Invalid(record("bad", identifier="/etc/passwd"),
                                _e(("V012", J, "/identifier"), ("V011", J, "/identifier"))),
    "id_slash": Invalid(record("bad", identifier="a/b"), _e(("V012", J, "/identifier"), ("V011", J, "/identifier"))),
    "id_windows_con": Invalid(record(identifier="CON"), _e(("V012", f"{S}/CON.json", "/identifier"))),
    "id_windows_nul_txt": Invalid(record(identifier="nul.txt"), _e(("V012", f"{S}/nul.txt.json", "/identifier"))),
    "id_300_characters": Invalid(record("bad", identifier="a" * 300),
                                 _e(("V012", J, "/identifier"), ("V011", J, "/identifier"))),
    "id_unicode_lookalike": Invalid(record(identifier="st\u0430tement"),
                                    _e(("V012", f"{S}/st\u0430tement.json", "/identifier"))),
    "id_trailing_dot": Invalid(record(identifier="bad."), _e(("V012", f"{S}/bad..json", "/identifier"))),
    "id_trailing_space": Invalid(record(identifier="bad "), _e(("V012", f"{S}/bad .json", "/identifier"))),
    "id_template_syntax": Invalid(record("bad", identifier="{{ 7*7 }}"),
                                  _e(("V012", J, "/identifier"), ("V011", J, "/identifier"))),
    "id_nul_character": Invalid(record("bad", identifier="bad\x00"), _e(  # the factory's title repeats it
        ("V020", J, "/identifier"), ("V020", J, "/title"), ("V012", J, "/identifier"), ("V011", J, "/identifier"))),
    "file_name_not_utf8": Invalid(non_utf8_name, _e(("V011", f"{S}/\\xff.json", "/identifier"))),
    # --- control characters and surrogates in metadata text
    "meta_nul_in_title": Invalid(record(title="Statement\x00"), _e(("V020", J, "/title"))),
    "meta_escape_in_issuer": Invalid(record(issuer="Ministry\x1b[2J"), _e(("V020", J, "/issuer"))),
    "meta_lone_surrogate_escaped": Invalid(record(subjects=["ok", "bad \ud800"]), _e(("V020", J, "/subjects/1"))),
    "meta_surrogate_encoded": Invalid(raw(GOOD_JSON.replace(b"Test", b"\xed\xa0\x80")), _e(("V001", J, ""))),
    "meta_noncharacter_and_delete": Invalid(record(speaker="A\uffff", description="\x7f"),
                                          _e(("V020", J, "/speaker"), ("V020", J, "/description"))),
    # --- bodies
    "body_missing": Invalid(lambda f, e: meta(f), _e(("V008", J, ""))),
    "body_two": Invalid(two_bodies, _e(("V010", J, ""))),
    "body_empty": Invalid(record(body_bytes=b""), _e(("V013", T, ""))),
    "body_only_white_space": Invalid(record(body_bytes=b"\xef\xbb\xbf \n\t\xc2\xa0\n"), _e(("V013", T, ""))),
    "body_invalid_utf8": Invalid(record(body_bytes=b"D\xe9claration du minist\xe8re\n"), _e(("V009", T, ""))),
    "body_encoded_surrogate": Invalid(record(body_bytes=b"Text \xed\xa0\x80 here\n"), _e(("V009", T, ""))),
    "body_utf16_with_bom": Invalid(record(body_bytes="A statement.\n".encode("utf-16")), _e(("V009", T, ""))),
    "body_utf16le_without_bom": Invalid(record(body_bytes="A statement.\n".encode("utf-16-le")), _e(("V009", T, ""))),
    "body_utf16be_without_bom": Invalid(record(body_bytes="Déclaration.\n".encode("utf-16-be")), _e(("V009", T, ""))),
    "body_nul": Invalid(record(body_bytes=b"Text\x00more\n"), _e(("V015", T, ""))),
    "body_terminal_escapes": Invalid(record(body_bytes=b"Text \x1b[2J\x1b]0;owned\x07 more\n"), _e(("V015", T, ""))),
    "body_c1_control": Invalid(record(body_bytes="Text \x85 more\n".encode()), _e(("V015", T, ""))),
    "body_20_megabytes": Invalid(record(body_bytes=TWENTY_MB), _e(("V017", T, ""))),
    "body_is_a_pipe": Invalid(fifo_body, _e(("V021", T, ""))),
    # --- symbolic links (never followed)
    "link_metadata_to_canary": Invalid(link("bad.json", lambda f, e: e.canary), _e(("V018", J, ""))),
    "link_body_to_canary": Invalid(link("bad.txt", lambda f, e: e.canary), _e(("V018", T, ""))),
    "link_body_to_etc_passwd": Invalid(link("bad.txt", lambda f, e: "/etc/passwd"), _e(("V018", T, ""))),
    "link_body_relative_outside": Invalid(link("bad.txt", lambda f, e: os.path.relpath(e.canary, f)), _e(("V018", T, ""))),
    "link_body_inside_folder": Invalid(link("bad.txt", lambda f, e: "README.md"), _e(("V018", T, ""))),
    "link_body_dangling": Invalid(link("bad.txt", lambda f, e: f / "nowhere.txt"), _e(("V018", T, ""))),
    "link_folder_not_descended": Invalid(linked_folder, _e(("V019", f"{S}/linked", "")), command="validate", exit_code=0),
    # --- the folder as a whole
    "folder_without_statements": Invalid(empty_folder, _e(("V014", S, ""))),
}


# --- valid but dangerous: neutralised, rendered as text ---------------------------------

LOL = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
TEMPLATE = "{{{{ 7*7 }}}} {{% include '/etc/passwd' %}} {{# hidden? #}}"
TEMPLATE_TEXT = ("{{ 7*7 }}", "{% include '/etc/passwd' %}", "{# hidden? #}")

DANGEROUS: dict[str, Dangerous] = {
    "html-script": Dangerous(".html", '<p>Before script.</p><script>fetch("{base}/script")</script><p>After script.</p>',
                             ("Before script.", "After script."), ("fetch(", "/script")),
    "html-iframe": Dangerous(".html", '<p>Frame text.</p><iframe src="{base}/iframe" srcdoc="<img src={base}/srcdoc>">'
                                      "inner</iframe>", ("Frame text.",), ("/iframe", "inner")),
    "html-object-embed": Dangerous(".html", '<object data="{base}/object">fallback</object><embed src="{base}/embed">'
                                            "<p>Object text.</p>", ("Object text.",), ("fallback", "/object")),
    "html-remote-img": Dangerous(".html", '<p>Image text.</p><img src="{base}/img.png" srcset="{base}/2x.png 2x">'
                                          '<picture><source srcset="{base}/p.png"></picture>', ("Image text.",), ("127.0.0.1",)),
    "html-link-stylesheet": Dangerous(".html", '<link rel="stylesheet" href="{base}/link.css"><link rel=stylesheet '
                                               'href="{canary_uri}"><p>Link text.</p>', ("Link text.",), ("link.css",)),
    "html-meta-refresh": Dangerous(".html", '<meta http-equiv="refresh" content="0;url={base}/refresh"><p>Meta text.</p>',
                                   ("Meta text.",), ("url=", "http-equiv")),
    "html-base-href": Dangerous(".html", '<base href="{base}/base/"><p><a href="page.html">Relative link</a></p>',
                                ("Relative link",), ("/base/",)),
    "html-file-links": Dangerous(".html", '<p><a href="{canary_uri}">Canary link</a> and <a href="file:///etc/passwd">'
                                          "passwd link</a></p>", ("Canary link", "passwd link"), ("file://", "root:")),
    "html-css-url-in-style-attribute": Dangerous(
        ".html", '<p style="background: url({base}/style.png); list-style: url({canary_uri})">Styled text.</p>'
                 '<table background="{base}/table.png"><tr><td background="{canary_uri}">Cell text</td></tr></table>',
        ("Styled text.", "Cell text"), ("url(",)),
    "html-style-import": Dangerous(".html", '<style>@import url("{base}/import.css"); @import "{canary_uri}"; '
                                            "@font-face {{ font-family: x; src: url({base}/font.ttf) }}</style>"
                                            "<p>Style text.</p>", ("Style text.",), ("@import", "font-face")),
    "html-svg-entity-bomb": Dangerous(".html", '<!DOCTYPE svg [<!ENTITY lol0 "lol">' + LOL + ']><svg><text>&lol9;</text>'
                                               '<image href="{base}/svg.png"/><use href="{canary_uri}#x"/></svg>'
                                               "<p>SVG text.</p>", ("SVG text.",), ("lollol",)),
    "html-math": Dangerous(".html", '<math><mi>x</mi><annotation-xml encoding="text/html"><img src="{base}/math.png">'
                                    "</annotation-xml></math><p>Math text.</p>", ("Math text.",), ("math.png",)),
    "html-javascript-url": Dangerous(".html", "<p><a href=\"javascript:fetch('{base}/js')\">JS link</a>"
                                              "<a href=\" jAvAsCrIpT:alert(1)\">second</a></p>", ("JS link", "second"),
                                     ("javascript:", "jAvAsCrIpT", "alert")),
    "html-data-url": Dangerous(".html", '<p><img src="data:image/svg+xml,<svg/onload=alert(1)>"><a href="data:text/html,'
                                        '<script>alert(1)</script>">Data link</a></p>', ("Data link",), ("data:", "alert")),
    "html-conditional-comment": Dangerous(".html", '<!--[if IE]><link rel=stylesheet href="{base}/ie.css"><![endif]-->'
                                                   "<p>Comment text.</p>", ("Comment text.",), ("ie.css", "endif")),
    "html-template-syntax": Dangerous(".html", f"<p>{TEMPLATE}</p>", TEMPLATE_TEXT, ("49",)),
    "md-raw-html": Dangerous(".md", "Markdown text.\n\n<script>fetch('{base}/md-script')</script>\n\n"
                                    '<img src="{base}/md-img.png">\n', ("Markdown text.", "<script>fetch(", "<img src=")),
    "md-remote-image": Dangerous(".md", "Before image.\n\n![Alt words]({base}/md.png)\n\nAfter image.\n",
                                 ("Before image.", "After image."), ("md.png",)),
    # markdown-it refuses file: and javascript: links, so both stay literal text: shown,
    # never an image or an action (the test checks each PDF for both).
    "md-canary-image": Dangerous(".md", "Canary image: ![x]({canary_uri}) end.\n", ("Canary image: ![x](file:", "end.")),
    "md-reference-links": Dangerous(".md", 'See [the report][r] and ![chart][c] here.\n\n[r]: {base}/ref "Ref title"\n'
                                           "[c]: {canary_uri}\n", ("See the report and", "here."), ("/ref", "Ref title")),
    "md-javascript-link": Dangerous(".md", "A [click](javascript:fetch('{base}/js')) link.\n",
                                    ("A [click](javascript:fetch(", "link."), ("<a",)),
    # The address is the statement's own text, so it shows; it must not become a link (no action).
    "md-autolink": Dangerous(".md", "Go to <{base}/autolink> now.\n", ("Go to", "/autolink", "now."), ("<", ">")),
    "md-template-syntax": Dangerous(".md", TEMPLATE + "\n", TEMPLATE_TEXT, ("49",)),
    "txt-markup-as-text": Dangerous(".txt", "<script>fetch('{base}/txt')</script>\n\n<img src=\"{canary_uri}\">\n",
                                    ("<script>fetch(", "<img src=")),
    "txt-template-in-metadata": Dangerous(
        ".txt", TEMPLATE + "\n\n{{{{ config.items() }}}} {{% for x in range(3) %}}x{{% endfor %}}\n\n"
                           "{{% include '{canary}' %}} {{% import '{canary}' as c %}}\n",
        TEMPLATE_TEXT + ("{{ config.items() }}", "{% include '/", "{% import '/", "{% for x in range(3) %}x{% endfor %}", "{{ 6*7 }} title",
                         "{% include '/etc/passwd' %} Ministry", "{# speaker #}"),
        ("42 title", "root:"),  # no "49" check: the canary path may hold it
        metadata={"title": "{{ 6*7 }} title", "issuer": "{% include '/etc/passwd' %} Ministry",
                  "speaker": "{# speaker #}", "subjects": ["{{ self }}"], "source": {"url": "{base}/source", "note": "n"},
                  "description": "<img src='{base}/description'>"}),
}


def dangerous_metadata(identifier: str, case: Dangerous, env: Env) -> dict[str, Any]:
    def fill(value: Any) -> Any:
        if isinstance(value, str) and "{base}" in value:
            return value.replace("{base}", env.base)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value
    return metadata_for(identifier, **{k: fill(v) for k, v in case.metadata.items()})


def fill(text: str, env: Env) -> str:
    return text.format(base=env.base, canary=env.canary, canary_uri=env.canary.as_uri())
