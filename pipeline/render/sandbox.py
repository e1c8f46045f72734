"""A URL fetcher that lets WeasyPrint read only what the project allows.

Statement content is untrusted. The HTML the renderer builds references
nothing but in-memory attachments (scheme ``statement-attachment:``) and
files under the project's template and font directories; every other URL
(http, https, ftp, data, file:// elsewhere, …) is refused and remembered,
and the render stage turns any refusal into an error rather than a
silently missing resource.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

ATTACHMENT_SCHEME = "statement-attachment"
# Fixed here rather than guessed from the host's MIME database.
_MEDIA_TYPES = {".css": "text/css", ".ttf": "font/ttf", ".otf": "font/otf", ".ttc": "font/collection"}


class SandboxedFetcher(URLFetcher):
    def __init__(self, allowed_dirs: tuple[Path, ...], attachments: dict[str, tuple[bytes, str]]):
        # No handlers are used: fetch() below never calls the parent's opener.
        super().__init__(allowed_protocols=("file", ATTACHMENT_SCHEME))
        self.allowed_dirs = tuple(d.resolve() for d in allowed_dirs)
        self.attachments = attachments
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == ATTACHMENT_SCHEME and parts.path in self.attachments:
            body, media_type = self.attachments[parts.path]
            return URLFetcherResponse(url, body=body, headers={"Content-Type": media_type})
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(unquote(parts.path)).resolve()
            if path.is_file() and any(path.is_relative_to(d) for d in self.allowed_dirs):
                media_type = _MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
                return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": media_type})
        self.refused.append(url)
        raise ValueError(f"refused by the statement sandbox: {url[:200]}")
