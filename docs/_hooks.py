"""MkDocs hooks: put the repository's README and CHANGELOG on the site, and rewrite links that
point outside docs/ (source files, benchmarks) as repository paths in plain text, so the site
builds with --strict and still says where each file is."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
GENERATED = {"index.md": "README.md", "changelog.md": "CHANGELOG.md"}
LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s#]+)(#[^)]*)?\)")


def on_files(files, config):
    for uri, name in GENERATED.items():
        files.append(File.generated(config, uri, content=(ROOT / name).read_text()))
    # notebook tutorials are jupytext percent scripts: shown as Markdown pages
    import jupytext

    for path in sorted((ROOT / "docs" / "tutorials").glob("*.py")):
        md = jupytext.writes(jupytext.read(path), fmt="md")
        md = md.split("---\n", 2)[-1] if md.startswith("---") else md  # drop the header
        uri = f"tutorials/{path.stem}.md"
        files.append(File.generated(config, uri, content=md))
    return files


def on_page_markdown(markdown, page, config, files):
    src = page.file.src_uri
    # where the page's source lives in the repository, to resolve its relative links
    repo_dir = "" if src in GENERATED else posixpath.dirname("docs/" + src)
    site_dir = posixpath.dirname(src)
    known = {f.src_uri for f in files}

    def fix(m):
        text, target, anchor = m.group(1), m.group(2), m.group(3) or ""
        if re.match(r"^[a-z]+:", target):
            return m.group(0)
        repo_path = posixpath.normpath(posixpath.join(repo_dir, target))
        if repo_path.startswith("docs/"):
            rel = repo_path[len("docs/") :]
            if rel in known:
                return f"[{text}]({posixpath.relpath(rel, site_dir or '.')}{anchor})"
            index = posixpath.join(rel, "README.md")
            if index in known:
                return f"[{text}]({posixpath.relpath(index, site_dir or '.')}{anchor})"
        if repo_path in ("CHANGELOG.md", "README.md"):
            uri = {v: k for k, v in GENERATED.items()}[repo_path]
            return f"[{text}]({posixpath.relpath(uri, site_dir or '.')}{anchor})"
        shown = repo_path + ("/" if target.endswith("/") else "")
        return text if text.strip("`") == shown else f"{text} (`{shown}` in the repository)"

    return LINK.sub(fix, markdown)
