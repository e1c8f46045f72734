"""The renderer's fingerprint is known without loading WeasyPrint, and is the
same as the one every Renderer computes with WeasyPrint loaded.

A build with nothing to render needs only the fingerprint; importing
WeasyPrint would cost it most of a second (pipeline/render/fingerprint.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from pipeline.render.fingerprint import (RenderConfig, render_fingerprint, text_stack_by_linker,
                                         text_stack_by_weasyprint)

PROJECT = Path(__file__).resolve().parent.parent


def test_linker_and_weasyprint_name_the_same_text_stack():
    by_linker = text_stack_by_linker()
    assert by_linker is not None, "on Linux the text stack is read without WeasyPrint"
    assert by_linker == text_stack_by_weasyprint()
    assert re.fullmatch(r"pango 1[0-9]+; harfbuzz [0-9]+\.[0-9]+\.[0-9]+; fontconfig [0-9]+; "
                        r"hb-subset (yes|no); hb-vector (yes|no)", by_linker), by_linker


def test_a_renderer_arrives_at_the_fingerprint_computed_without_weasyprint(tmp_path, fonts_dir):
    # In a fresh interpreter: the fingerprint first, WeasyPrint not loaded;
    # then a Renderer (WeasyPrint loaded), whose fingerprint must be the same.
    script = f"""
import sys
from pathlib import Path
from pipeline.render.fingerprint import RenderConfig, render_fingerprint
config = RenderConfig(Path({str(PROJECT / 'templates')!r}), Path({str(fonts_dir)!r}), Path({str(tmp_path)!r}))
before = render_fingerprint(config)
assert "weasyprint" not in sys.modules, "the fingerprint loaded WeasyPrint"
from pipeline.render.renderer import Renderer
renderer = Renderer(config)
assert "weasyprint" in sys.modules
print(before == renderer.fingerprint == render_fingerprint(config))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def _weasyprint_imported(argv: list[str]) -> bool:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "pipeline", *argv], cwd=PROJECT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    # -X importtime: "import time: <self> | <cumulative> | <indent><module>", one line a module
    return any(line.startswith("import time:") and line.rsplit("|", 1)[-1].strip() == "weasyprint"
               for line in done.stderr.splitlines())


def test_a_build_with_nothing_to_render_does_not_load_weasyprint(warm_build, tmp_path):
    statements = tmp_path / "statements"
    shutil.copytree(PROJECT / "statements", statements)
    argv = ["build", "--statements", str(statements), "--archive", str(tmp_path / "archive"),
            "--build-dir", str(warm_build), "--date", "2026-01-01", "--quiet", "--workers", "1"]
    assert not _weasyprint_imported(argv)  # every PDF is in the store: packaged, nothing rendered
    assert (tmp_path / "archive").is_dir()
    # Control: one changed body is rendered, in this process (--workers 1), with WeasyPrint.
    body = statements / "examplia-mfa-2021-speech-law-of-the-sea.txt"
    body.write_text(body.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert _weasyprint_imported([*argv[:-4], "2026-01-02", "--quiet", "--workers", "1"])
