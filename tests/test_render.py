"""Render stage: real WeasyPrint renders with the pinned fonts."""

from __future__ import annotations

import subprocess
from array import array
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.render import RenderConfig, Renderer, render_statements
from pipeline.render.sandbox import SandboxedFetcher
from recording_server import recording_http_server
from statement_factory import write_statement

MULTILINGUAL = (
    "English text with an em dash — and “curly quotes”.\n\n"
    "Українська: Міністерство закордонних справ.\n\n"
    "Ελληνικά: Υπουργείο Εξωτερικών.\n\n"
    "中文：外交部发言人表示。\n\n"
    "العربية: وزارة الخارجية\n\n"
    "עברית: משרד החוץ\n"
)


def config(tmp_path: Path, project_dir: Path, fonts_dir: Path, variant: str = "3u") -> RenderConfig:
    return RenderConfig(project_dir / "templates", fonts_dir, tmp_path / "build", variant=variant)


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout.decode()


def test_multilingual_statement_renders_to_pdfa_with_embedded_fonts(tmp_path, project_dir, fonts_dir):
    statement = write_statement(tmp_path / "in", "multi", MULTILINGUAL, languages=["en", "uk", "el", "zh", "ar", "he"])
    rendered, report = render_statements([statement], tmp_path / "out", config(tmp_path, project_dir, fonts_dir))
    assert report.ok, report.problems
    pdf = rendered[0].pdf_path
    text = pdftotext(pdf)
    for fragment in ("Міністерство", "Υπουργείο", "外交部发言人", "وزارة", "משרד"):
        assert fragment in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True).stdout
    font_rows = fonts.splitlines()[2:]
    assert font_rows and all(" yes yes yes " in row for row in font_rows), fonts
    # Only the pinned fonts: every font name is a Noto face we ship.
    assert all("Noto-Sans" in row for row in font_rows), fonts


def test_xmp_is_the_projects_in_element_form(tmp_path, project_dir, fonts_dir):
    statement = write_statement(tmp_path / "in", "xmp-case", "Body.\n", title="Title & <things>", subjects=["a", "b"])
    rendered, _ = render_statements([statement], tmp_path / "out", config(tmp_path, project_dir, fonts_dir))
    reader = PdfReader(rendered[0].pdf_path)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="' not in xmp  # no attribute shorthand
    root = ET.fromstring(xmp)
    ns = {"pdfaid": "http://www.aiim.org/pdfa/ns/id/", "dc": "http://purl.org/dc/elements/1.1/",
          "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
    assert root.findtext(".//pdfaid:part", namespaces=ns) == "3"
    assert root.findtext(".//pdfaid:conformance", namespaces=ns) == "U"
    assert [li.text for li in root.findall(".//dc:title//rdf:li", ns)] == ["Title & <things>"]
    assert [li.text for li in root.findall(".//dc:subject//rdf:li", ns)] == ["a", "b"]
    assert root.findtext(".//dc:identifier", namespaces=ns) == "xmp-case"
    assert reader.metadata.title == "Title & <things>"  # info dictionary agrees
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_associated_files_listed_once_each_with_relationships(tmp_path, project_dir, fonts_dir):
    statement = write_statement(tmp_path / "in", "af-case", "Body text.\n")
    rendered, _ = render_statements([statement], tmp_path / "out", config(tmp_path, project_dir, fonts_dir))
    root = PdfReader(rendered[0].pdf_path).trailer["/Root"]
    refs = [ref.idnum for ref in root["/AF"]]
    assert len(refs) == len(set(refs)) == 2
    specs = {str(ref.get_object()["/UF"]): ref.get_object() for ref in root["/AF"]}
    assert specs["af-case.json"]["/AFRelationship"] == "/Data"
    assert specs["af-case.txt"]["/AFRelationship"] == "/Source"
    assert specs["af-case.txt"]["/EF"]["/F"].get_object().get_data() == statement.body_path.read_bytes()


def test_weasyprint_alone_lists_attachments_twice(tmp_path):
    """Why the finisher exists: WeasyPrint 70.0 duplicates /AF entries."""
    from weasyprint import HTML, Attachment

    pdf = tmp_path / "plain.pdf"
    HTML(string="<p>x</p>").write_pdf(
        pdf, pdf_variant="pdf/a-3b",
        attachments=[Attachment(string="data", name="a.txt", relationship="Data")],
    )
    refs = [ref.idnum for ref in PdfReader(pdf).trailer["/Root"]["/AF"]]
    if len(refs) == len(set(refs)):
        pytest.fail("WeasyPrint no longer duplicates /AF: the work-around in pipeline/render/pdf.py can go")
    assert len(refs) == 2 * len(set(refs))


def test_uncovered_character_is_an_error_naming_statement_and_code_point(tmp_path, project_dir, fonts_dir):
    # Egyptian hieroglyphs: a historic script no pinned font has (emoji are covered).
    statement = write_statement(tmp_path / "in", "emoji", "A hieroglyph \U00013000 here.\n")
    rendered, report = render_statements([statement], tmp_path / "out", config(tmp_path, project_dir, fonts_dir))
    assert rendered == []
    assert [p.code for p in report.problems] == ["R001"]
    assert "U+13000" in report.problems[0].message
    assert "statement-archive fonts add" in report.problems[0].message  # a way that leaves the body alone
    assert report.problems[0].file.endswith("emoji.txt")
    assert not (tmp_path / "out" / "emoji.pdf").exists()


def test_template_syntax_and_markup_in_statement_text_stay_text(tmp_path, project_dir, fonts_dir):
    body = "Literal {{ 7*7 }} and {% if true %}x{% endif %} and <b>not bold</b> &amp;.\n"
    statement = write_statement(tmp_path / "in", "literal", body)
    rendered, report = render_statements([statement], tmp_path / "out", config(tmp_path, project_dir, fonts_dir))
    assert report.ok
    text = pdftotext(rendered[0].pdf_path)
    assert "{{ 7*7 }}" in text and "{% if true %}x{% endif %}" in text and "<b>not bold</b> &amp;." in text
    assert "49" not in text


@pytest.fixture()
def recording_server():
    with recording_http_server() as server:
        yield server


def test_hostile_html_reaches_no_server_and_no_file(tmp_path, project_dir, fonts_dir, recording_server):
    base, requests = recording_server
    canary = tmp_path / "canary.css"
    canary.write_text("body { color: red }")
    hostile = (
        f'<p>Visible text.</p><img src="{base}/img.png"><link rel="stylesheet" href="{base}/l.css">'
        f'<style>@import url({base}/import.css); body {{ background: url({canary.as_uri()}) }}</style>'
        f'<iframe src="{base}/frame"></iframe><object data="{base}/obj"></object>'
        f'<script>fetch("{base}/js")</script><p style="background: url({base}/inline.png)">styled</p>'
        f'<a href="{canary.as_uri()}">link</a><svg><image href="{base}/svg.png"/></svg>'
    )
    statement = write_statement(tmp_path / "in", "hostile", hostile, suffix=".html")
    rendered, report = render_statements([statement], tmp_path / "out", config(tmp_path, project_dir, fonts_dir))
    assert report.ok, report.problems
    assert requests == []
    text = pdftotext(rendered[0].pdf_path)
    assert "Visible text." in text and "styled" in text
    assert "fetch(" not in text


def test_sandboxed_fetcher_refuses_everything_outside_templates_and_fonts(tmp_path, project_dir, fonts_dir, recording_server):
    base, requests = recording_server
    fetcher = SandboxedFetcher((project_dir / "templates", fonts_dir), {})
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    for url in (f"{base}/x.css", outside.as_uri(), "file:///etc/passwd", "data:text/css,body{}",
                (project_dir / "templates" / ".." / "pyproject.toml").as_uri(), "ftp://127.0.0.1/x"):
        with pytest.raises(ValueError, match="sandbox"):
            fetcher.fetch(url)
    assert requests == []
    assert len(fetcher.refused) == 6
    css = fetcher.fetch((project_dir / "templates" / "statement.css").as_uri())
    assert css.content_type == "text/css"


def test_a_refused_fetch_fails_the_render(tmp_path, project_dir, fonts_dir, recording_server):
    """If anything ever let a reference through, the render fails closed (R002).

    Statement content cannot carry one past the sanitiser, so the reference
    is planted in a copy of the templates: the renderer still refuses it,
    reports it, writes no PDF, and the server hears nothing.
    """
    import shutil

    base, requests = recording_server
    templates = tmp_path / "templates"
    shutil.copytree(project_dir / "templates", templates)
    page = templates / "statement.html.j2"
    page.write_text(page.read_text().replace("<main", f'<img src="{base}/planted.png"><main', 1))
    statement = write_statement(tmp_path / "in", "planted", "Body.\n")
    cfg = RenderConfig(templates, fonts_dir, tmp_path / "build")
    rendered, report = render_statements([statement], tmp_path / "out", cfg, workers=1)
    assert rendered == [] and not (tmp_path / "out" / "planted.pdf").exists()
    # R002 from the sandbox; R003 is WeasyPrint's own warning that the image failed to load.
    assert [p.code for p in report.problems] == ["R002", "R003"]
    assert f"{base}/planted.png" in report.problems[0].message
    assert requests == []


def test_unchanged_statement_is_not_rendered_again_but_a_changed_one_is(tmp_path, project_dir, fonts_dir):
    folder = tmp_path / "in"
    statement = write_statement(folder, "cached", "First body.\n")
    cfg = config(tmp_path, project_dir, fonts_dir)
    first, _ = render_statements([statement], tmp_path / "out", cfg)
    _, report = render_statements([statement], tmp_path / "out", cfg)
    assert report.items[0]["rendered"] is False
    changed = write_statement(folder, "cached", "Second body.\n")
    second, report = render_statements([changed], tmp_path / "out", cfg)
    assert report.items[0]["rendered"] is True
    assert second[0].pdf_sha256 != first[0].pdf_sha256
    # A PDF altered on disk is not trusted: it is rendered again.
    second[0].pdf_path.write_bytes(second[0].pdf_path.read_bytes() + b"\n%tampered")
    third, report = render_statements([changed], tmp_path / "out", cfg)
    assert report.items[0]["rendered"] is True and third[0].pdf_sha256 == second[0].pdf_sha256


def test_same_input_gives_same_bytes_in_separate_processes(tmp_path, project_dir, fonts_dir):
    write_statement(tmp_path / "in", "repro", MULTILINGUAL, languages=["en", "zh"])
    script = (
        "import json, hashlib, sys\n"
        "from pathlib import Path\n"
        "from pipeline.core.records import Statement\n"
        "from pipeline.render import RenderConfig, render_statements\n"
        "folder, out, project, fonts = map(Path, sys.argv[1:5])\n"
        "m, b = folder / 'repro.json', folder / 'repro.txt'\n"
        "s = Statement('repro', m, b, 'text/plain', m.read_bytes(),\n"
        "              hashlib.sha256(m.read_bytes()).hexdigest(), hashlib.sha256(b.read_bytes()).hexdigest())\n"
        "r, rep = render_statements([s], out, RenderConfig(project / 'templates', fonts, out / 'work'))\n"
        "assert rep.ok, rep.problems\n"
    )
    outputs = []
    for run, seed in (("a", "1"), ("b", "2")):  # other hash seeds: no set or dict order may leak into bytes
        out = tmp_path / run
        subprocess.run(
            [__import__("sys").executable, "-c", script, str(tmp_path / "in"), str(out), str(project_dir), str(fonts_dir)],
            check=True, cwd=project_dir, env={**__import__("os").environ, "PYTHONHASHSEED": seed},
        )
        outputs.append((out / "repro.pdf").read_bytes())
    assert outputs[0] == outputs[1]


def test_renderer_sees_only_the_pinned_fonts_even_from_a_relative_build_dir(tmp_path, project_dir, fonts_dir, monkeypatch):
    from weasyprint.text.fonts import FontConfiguration

    from pipeline.core.errors import EnvironmentProblem
    from pipeline.render.fonts import configured_font_files, ensure_confined

    monkeypatch.chdir(tmp_path)
    renderer = Renderer(RenderConfig(project_dir / "templates", fonts_dir, Path("build")))
    files = configured_font_files(renderer.font_config)
    assert files and all(f.resolve().parent == fonts_dir.resolve() for f in files)
    # A configuration that sees the host's fonts is refused, so the check can fail.
    host = FontConfiguration()
    if all(f.resolve().parent == fonts_dir.resolve() for f in configured_font_files(host)):
        pytest.skip("this machine has no fonts of its own to leak in")
    with pytest.raises(EnvironmentProblem, match="not confined"):
        ensure_confined(renderer.font_set, host)


def test_a_body_changed_or_swapped_for_a_link_after_validation_is_not_rendered(tmp_path, project_dir, fonts_dir):
    from pipeline.core.errors import ProblemsFound

    statement = write_statement(tmp_path / "in", "swapped", "Validated text.\n")
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("Validated text.\n")
    statement.body_path.unlink()
    statement.body_path.symlink_to(outside)  # same bytes, but now a link
    with pytest.raises(ProblemsFound) as refused:
        render_statements([statement], tmp_path / "out", config(tmp_path, project_dir, fonts_dir), workers=1)
    assert [p.code for p in refused.value.problems] == ["R005"]
    statement.body_path.unlink()
    statement.body_path.write_text("Edited after validation.\n")
    with pytest.raises(ProblemsFound) as refused:
        render_statements([statement], tmp_path / "out", config(tmp_path, project_dir, fonts_dir), workers=1)
    assert [p.code for p in refused.value.problems] == ["R005"]
    assert not (tmp_path / "out" / "swapped.pdf").exists()


def _few_fonts(fonts_dir: Path, target: Path, names: tuple[str, ...]) -> Path:
    """A fonts folder pinning a few of the project's fonts (same bytes, same lock lines)."""
    target.mkdir()
    lines = [line for line in (fonts_dir / "fonts.lock").read_text(encoding="utf-8").splitlines()
             if line.split("\t", 1)[0] in names]
    assert len(lines) == len(names)
    (target / "fonts.lock").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in names:
        (target / name).write_bytes((fonts_dir / name).read_bytes())
    return target


def test_font_coverage_cache_gives_the_same_answer_and_survives_damage(tmp_path, fonts_dir):
    from pipeline.render.fonts import FontSet

    # Three of the pinned fonts, not all 70: the cache's logic is the same for
    # each, and reading the CJK maps alone takes seconds (what the cache saves).
    fonts_dir = _few_fonts(fonts_dir, tmp_path / "fonts", (
        "NotoSans-Regular.ttf", "NotoSansHebrew-Regular.ttf", "NotoSansArabic-Regular.ttf"))
    text = "Latin Ελλάδα Україна עברית العربية \U00013000 \u0870"
    # Egyptian hieroglyphs and Arabic Extended-B: no pinned font has them, so every map is read.
    fresh = ["\U00013000", "\u0870"]
    cache = tmp_path / "coverage"
    assert FontSet(fonts_dir, [cache]).uncovered(text) == fresh
    files = sorted(cache.iterdir())
    assert len(files) == len(FontSet(fonts_dir).pinned)  # every map was read and cached
    assert all(len(f.stem) == 64 for f in files)  # named by the pinned SHA-256
    assert FontSet(fonts_dir, [cache]).uncovered(text) == fresh  # from the cache
    for damaged in files:
        damaged.write_bytes(b"\x01\x02\x03")  # not a whole number of entries
    assert FontSet(fonts_dir, [cache]).uncovered(text) == fresh
    # A folder that cannot be written (its parent is a file) is passed over for the next one,
    # and a map found in the first folder is read from there.
    # (Latin only: one map, the base face's, is read.)
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    second = tmp_path / "second"
    assert FontSet(fonts_dir, [blocker / "coverage", second]).uncovered("Latin") == []
    assert [f.name for f in second.iterdir()] == [f"{FontSet(fonts_dir).pinned[0].sha256}.cmap"]
    planted = cache / files[0].name
    planted.write_bytes(array("I", [ord("L")]).tobytes())  # a map with one character: read, not recomputed
    assert FontSet(fonts_dir, [cache, second])._cached_coverage(
        next(f for f in FontSet(fonts_dir).pinned if f.sha256 == files[0].stem)) == {ord("L")}
