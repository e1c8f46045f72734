"""The ``fonts`` subcommand: list the pinned fonts, their coverage, or pin another.

``statement-archive fonts``             the pinned fonts (file, licence, source)
``statement-archive fonts --coverage``  covered, partly covered and uncovered Unicode blocks
``statement-archive fonts add FILE --licence ID``  pin a font the archive brings itself
Exit codes: 0 ok; 1 the font cannot be pinned (not a font, colour glyphs,
licence not allowed); 3 the pinned fonts are not installed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pipeline.cli.context import PROJECT_DIR


def add_fonts_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    from pipeline.render.licences import ALLOWED_LICENCES  # not extra_fonts: fontTools, at every start

    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--fonts", type=Path, default=PROJECT_DIR / "fonts", help="pinned fonts folder")
    where.add_argument("--build-dir", type=Path, default=None,
                       help="working folder (default: build); the fonts' character maps are cached in "
                            "fonts/.coverage/, or in its font-coverage/ where fonts/ is read-only")
    fonts = commands.add_parser(
        "fonts", parents=[common, where], help="list the pinned fonts and what they cover; pin another",
        description="List the pinned fonts (fonts/fonts.lock, and fonts/extra.lock for the archive's own), "
                    "or with --coverage every Unicode block they cover, partly cover or do not cover. "
                    "`fonts add` pins another font, the way to render a character R001 refused without "
                    "editing the statement.")
    fonts.add_argument("--coverage", action="store_true", help="list Unicode blocks: covered, partly covered, uncovered")
    fonts.set_defaults(handler=cmd_fonts)
    actions = fonts.add_subparsers(dest="fonts_action", metavar="ACTION")
    add = actions.add_parser(
        "add", parents=[common, where], help="copy a font into fonts/extra/ and pin it in fonts/extra.lock",
        description="Copy FILE into fonts/extra/ and record its name, SHA-256, origin and licence in "
                    "fonts/extra.lock; every later render checks it like the other pinned fonts. Commit "
                    "fonts/extra/ and fonts/extra.lock: `make fonts` cannot fetch such a font again. "
                    "Adding a font changes the render fingerprint, so the next build renders every "
                    "statement again and, where a PDF changes, packages a new version.")
    add.add_argument("file", type=Path, metavar="FILE", help="a TrueType/OpenType font (.ttf, .otf, .ttc)")
    add.add_argument("--licence", required=True, choices=ALLOWED_LICENCES,
                     help="the font's licence (SPDX id), from its licence file")
    add.set_defaults(handler=cmd_fonts_add)


def _font_set(run: Any):
    from pipeline.render.fonts import FontSet, coverage_cache_dirs

    return FontSet(run.args.fonts, coverage_cache_dirs(run.args.fonts, run.args.build_dir))


def cmd_fonts(run: Any) -> None:
    font_set = _font_set(run)
    fonts = [{"file": f.name, "sha256": f.sha256, "source": f.package, "version": f.version,
              "licence": f.licence} for f in font_set.pinned]
    run.extra["fonts"] = fonts
    if not run.args.coverage:
        for font in fonts:
            run.say(f"{font['file']:<44} {font['licence']:<14} {font['source']} {font['version']}")
        run.say(f"{len(fonts)} pinned font(s)")
        return
    from pipeline.render.coverage import block_coverage, unicode_version

    blocks = block_coverage(font_set.covered_code_points())
    run.extra["unicode_version"] = unicode_version()
    run.extra["blocks"] = [b.as_dict() for b in blocks]
    states = ("covered", "partly covered", "uncovered")
    for state in states:
        chosen = [b for b in blocks if b.state == state]
        run.say(f"{state} ({len(chosen)} block(s)):")
        for block in chosen:
            missing = "" if state == "covered" else "  missing e.g. " + " ".join(f"U+{c:04X}" for c in block.missing)
            run.say(f"  U+{block.first:04X}..U+{block.last:04X}  {block.name:<48} "
                    f"{block.covered}/{block.characters}{missing}")
    counts = {state: sum(b.state == state for b in blocks) for state in states}
    run.extra["summary"] = counts
    run.say(f"{len(fonts)} pinned font(s); Unicode {unicode_version()}: "
            + ", ".join(f"{n} {state}" for state, n in counts.items()) + " block(s)")


def cmd_fonts_add(run: Any) -> None:
    from pipeline.render.extra_fonts import add_font

    args = run.args
    added = add_font(args.fonts, args.file, args.licence, _font_set(run).covered_code_points())
    font = added.font
    run.extra["font"] = {"file": font.name, "sha256": font.sha256, "licence": font.licence,
                         "already_pinned": added.already_pinned, "new_code_points": added.new_code_points}
    if added.already_pinned:
        run.say(f"{args.file}: already pinned as fonts/{font.name} (sha256 {font.sha256}); nothing changed")
        return
    run.say(f"pinned fonts/{font.name} ({font.licence}, sha256 {font.sha256}): "
            f"{added.new_code_points} character(s) no other pinned font had; "
            "commit fonts/extra/ and fonts/extra.lock")
