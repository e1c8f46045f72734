"""Captures the import tests make themselves: a saved ministry page, WARCs written
with warcio, a WACZ. Real formats, written by the real library, no fixtures on disk."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

FIRST = "The Ministry of Foreign Affairs of the Republic of Examplia welcomes the agreement on archival cooperation signed today."
LAST = "The Ministry thanks all partners for their patience and good faith during the negotiations."
NAV = ["Home", "About the Ministry", "Press Room", "Consular Services", "Contact Us"]
FOOTER = "© 2024 Ministry of Foreign Affairs of Examplia. All rights reserved."


def ministry_page(base_url: str = "https://mfa.examplia.example", *, charset_script: bool = True) -> bytes:
    """A whole saved page: menus, breadcrumb, scripts, a share bar, a footer; the statement in <article>.

    ``<meta charset=UTF-8>`` is contradicted by a script that says gb2312; the bytes are UTF-8.
    """
    nav = "".join(f'<li><a href="{base_url}/{i}.html">{item}</a></li>' for i, item in enumerate(NAV))
    script = ("<script>var pageCharset = 'gb2312'; document.charset = \"gb2312\";"
              f"new Image().src='{base_url}/track.gif';</script>") if charset_script else ""
    middle = ("The agreement provides for the exchange of finding aids, joint digitisation of colonial-era "
              "records and common rules for access. Both archives will publish their inventories online "
              "within two years, in the languages of both countries — including 中文 summaries.")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<title>Agreement on archival cooperation | Ministry of Foreign Affairs</title>
<meta property="og:site_name" content="Ministry of Foreign Affairs of the Republic of Examplia">
<meta property="article:published_time" content="2024-03-15T10:00:00+01:00">
<link rel="canonical" href="{base_url}/press/2024/03/archival-cooperation.html">
<link rel="stylesheet" href="{base_url}/style.css">
{script}
</head>
<body>
<header><div class="logo"><a href="{base_url}/"><img src="{base_url}/logo.png" alt="Logo"></a></div>
<nav><ul>{nav}</ul></nav></header>
<div class="breadcrumb"><a href="{base_url}/">Home</a> &gt; <a href="{base_url}/press/">Press Room</a></div>
<main><article>
<h1>Agreement on archival cooperation</h1>
<p class="date">15 March 2024</p>
<p>{FIRST}</p>
<p>{middle}</p>
<p>{LAST}</p>
</article>
<div class="share">Share: <a href="https://twitter.example/share">Twitter</a> <a href="{base_url}/print">Print</a></div>
</main>
<iframe src="{base_url}/frame.html"></iframe>
<footer><p>{FOOTER}</p><p><a href="{base_url}/privacy">Privacy</a> | <a href="{base_url}/sitemap">Sitemap</a></p></footer>
<script src="{base_url}/app.js"></script>
</body>
</html>
""".encode("utf-8")


def index_page() -> bytes:
    links = "".join(f'<li><a href="/press/{i}.html">Press release number {i} on current affairs</a></li>'
                    for i in range(40))
    return (f"<html><head><title>Press Room</title></head><body><h1>Press releases</h1><ul>{links}</ul>"
            "</body></html>").encode()


def error_page() -> bytes:
    return (b"<html><head><title>404 Not Found</title></head><body><h1>Page not found</h1>"
            b"<p>The page you requested could not be found. Try the search.</p></body></html>")


def login_page() -> bytes:
    return (b"<html><head><title>Sign in</title></head><body><h1>Members area</h1>"
            b"<p>Please sign in to read this statement.</p><form><input type=text name=user>"
            b"<input type=password name=pw><button>Sign in</button></form></body></html>")


def _http(status: str, headers: list[tuple[str, str]]) -> StatusAndHeaders:
    return StatusAndHeaders(status, headers, protocol="HTTP/1.1")


def write_warc(path: Path, records: list[tuple[str, str, list[tuple[str, str]], bytes]], *,
               gzip: bool = True, date: str = "2024-03-16T08:30:00Z") -> Path:
    """``records``: (url, HTTP status line, headers, payload); each response follows its request."""
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=gzip)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for url, status, headers, payload in records:
            path_part = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
            request = writer.create_warc_record(url, "request", http_headers=StatusAndHeaders(
                f"GET {path_part} HTTP/1.1", [("Host", url.split("/")[2])], is_http_request=True))
            writer.write_record(request)
            response = writer.create_warc_record(
                url, "response", payload=io.BytesIO(payload), length=len(payload),  # (no temporary file)
                http_headers=_http(status, headers),
                warc_headers_dict={"WARC-Date": date})
            writer.write_record(response)
    return path


def mixed_warc(path: Path) -> Path:
    """Two statements, a redirect, an image, a 404 page; in one WARC."""
    html = [("Content-Type", "text/html; charset=utf-8")]
    second = (b"<html lang='nl'><head><title>Verklaring over archieven</title></head><body><nav>"
              b"<a href='/'>Home</a> <a href='/nieuws'>Nieuws</a></nav><article><h1>Verklaring over archieven</h1>"
              b"<p>Het ministerie maakt vandaag bekend dat de archieven van de ambassade openbaar worden. "
              b"De stukken zijn in te zien in de studiezaal van het Nationaal Archief.</p>"
              b"<p>Voor vragen kunt u contact opnemen met de afdeling voorlichting van het ministerie.</p>"
              b"</article><footer>Copyright Ministerie</footer></body></html>")
    cp1252 = ("<html><head><title>Caf\u00e9 statement</title></head><body><article><h1>Caf\u00e9 statement</h1>"
              "<p>The minister met the na\u00efve press corps at the caf\u00e9 on the square \u2013 a first. "
              "She said the talks had been frank and useful for both sides.</p>"
              "<p>Further meetings are planned for the spring of next year in the capital.</p></article>"
              "</body></html>").encode("cp1252")
    return write_warc(path, [
        ("https://mfa.examplia.example/press/archival-cooperation.html", "200 OK", html, ministry_page()),
        ("https://mfa.examplia.example/old-link", "301 Moved Permanently",
         [("Location", "https://mfa.examplia.example/press/archival-cooperation.html")], b""),
        ("https://mfa.examplia.example/logo.png", "200 OK", [("Content-Type", "image/png")], b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
        ("https://minbuza.examplia.example/verklaring.html", "200 OK", html, second),
        ("https://mfa.examplia.example/missing.html", "404 Not Found", html, error_page()),
        ("https://mfa.examplia.example/cafe.html", "200 OK", [("Content-Type", "text/html; charset=windows-1252")], cp1252),
    ], gzip=path.name.endswith(".gz"))


def write_wacz(path: Path, warc: Path, *, tamper: bool = False) -> Path:
    data = warc.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    package = {"profile": "data-package", "wacz_version": "1.1.1", "resources": [
        {"name": warc.name, "path": f"archive/{warc.name}", "hash": f"sha256:{'0' * 64 if tamper else digest}",
         "bytes": len(data)}]}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"archive/{warc.name}", data, compress_type=zipfile.ZIP_STORED)
        archive.writestr("pages/pages.jsonl", '{"format": "json-pages-1.0"}\n')
        archive.writestr("datapackage.json", json.dumps(package))
    return path
