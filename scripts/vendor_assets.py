#!/usr/bin/env python3
"""Copy the front-end files the portal uses from node_modules/ into static/vendor/ (no CDN on the intranet).

Template authors: reference these with ``{% static %}``; this is the whole layout of static/vendor/:

    vendor/bootstrap/bootstrap.min.css             (+ bootstrap.min.css.map)
    vendor/bootstrap/bootstrap.bundle.min.js       (+ bootstrap.bundle.min.js.map; Popper included)
    vendor/bootstrap-icons/bootstrap-icons.min.css
    vendor/bootstrap-icons/fonts/bootstrap-icons.woff2, bootstrap-icons.woff
    vendor/htmx/htmx.min.js
    vendor/chartjs/chart.umd.min.js                (+ chart.umd.min.js.map)

static/vendor/ is generated (gitignored) and emptied first, so it holds exactly these files. A missing
source file is an error, and so is a missing source map that a file names in ``sourceMappingURL``:
``collectstatic`` with the production (manifest) storage follows that reference and would fail later.

Standard library only, so the Docker asset stage can run it before the project is installed.
Usage: python scripts/vendor_assets.py [--node-modules DIR] [--dest DIR] [--verbose]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (source under node_modules/, destination under static/vendor/); a trailing "/*" copies a folder's files.
ASSETS: list[tuple[str, str]] = [
    ("bootstrap/dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"),
    ("bootstrap-icons/font/bootstrap-icons.min.css", "bootstrap-icons/bootstrap-icons.min.css"),
    ("bootstrap-icons/font/fonts/*", "bootstrap-icons/fonts/"),
    ("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"),
    ("chart.js/dist/chart.umd.min.js", "chartjs/chart.umd.min.js"),
]

_SOURCE_MAP = re.compile(rb"[#@]\s*sourceMappingURL=([^\s*'\"]+)")


class MissingAsset(Exception):
    pass


def _copy(src: Path, dest: Path) -> list[Path]:
    if not src.is_file():
        raise MissingAsset(f"missing {src}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)
    copied = [dest]
    if src.suffix in (".css", ".js"):
        match = _SOURCE_MAP.search(src.read_bytes()[-4096:])
        if match and not match.group(1).startswith(b"data:"):
            name = match.group(1).decode()
            map_src = src.parent / name
            if not map_src.is_file():
                raise MissingAsset(f"{src} names source map {name}, which is missing")
            copied += _copy(map_src, dest.parent / name)
    return copied


def vendor(node_modules: Path, dest_root: Path) -> list[Path]:
    if not node_modules.is_dir():
        raise MissingAsset(f"{node_modules} does not exist: run `npm ci` (or `make install`) first")
    if dest_root.exists():
        shutil.rmtree(dest_root)
    copied: list[Path] = []
    for source, dest in ASSETS:
        if source.endswith("/*"):
            folder = node_modules / source[:-2]
            files = sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
            if not files:
                raise MissingAsset(f"no files in {folder}")
            for f in files:
                copied += _copy(f, dest_root / dest / f.name)
        else:
            copied += _copy(node_modules / source, dest_root / dest)
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", type=Path, default=ROOT / "node_modules")
    parser.add_argument("--dest", type=Path, default=ROOT / "static" / "vendor")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the files copied")
    args = parser.parse_args(argv)
    try:
        copied = vendor(args.node_modules, args.dest)
    except MissingAsset as exc:
        print(f"vendor_assets: ERROR: {exc}", file=sys.stderr)
        return 1
    for path in copied if args.verbose else []:
        print(f"  {path.relative_to(args.dest.parent)}")
    print(f"vendor_assets: {len(copied)} files in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
