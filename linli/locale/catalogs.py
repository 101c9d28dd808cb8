"""Keep the catalogs in step with the code: ``python -m linli.locale.catalogs`` (``make catalogs``).

One run extracts every marked string of ``linli/`` into ``linli.pot``, merges it
into the ``zh_CN`` and ``en`` catalogs, compiles the ``.mo`` files and lists the
``zh_CN`` entries that still need a translator. English entries get their msgid
as translation, so English text can be copy-edited later without touching code.
Files whose content did not change are not rewritten, so a run on a clean tree
leaves ``git status`` clean.

A translator then fills the listed ``msgstr`` in ``zh_CN/LC_MESSAGES/linli.po``
(and removes ``#, fuzzy`` where a guess was kept) and runs it again.
``--check`` exits with 1 while anything is untranslated.

Variant catalogs (``zh_CN@village``: the words of a district of that kind) hold only the
messages that differ; they are written by hand, compiled here, and their entries whose msgid
left the code are listed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

__all__ = [
    "KEYWORDS",
    "LANGUAGES",
    "extract",
    "main",
    "merge",
    "placeholders",
    "refresh",
    "render_mo",
    "render_po",
    "untranslated",
]

HERE = Path(__file__).resolve().parent
#: the checkout: babel.cfg's patterns and the catalogs' locations are relative to it.
ROOT = HERE.parent.parent
DOMAIN = "linli"
#: the first language is the one every msgid must be translated into.
LANGUAGES = ("zh_CN", "en")
#: the marking functions and which of their arguments are msgids (``None``: the first).
KEYWORDS: dict[str, tuple[int, ...] | None] = {"t": None, "tr": None, "plural": (1, 2), "N_": None, "_t": None}
#: ``# TRANSLATORS: ...`` just above a marked string reaches the translator as a comment.
COMMENT_TAGS = ("TRANSLATORS:",)
_HEADER = {
    "header_comment": (
        "# Translations for linli (邻里).\n"
        "# Refresh with `make catalogs` (python -m linli.locale.catalogs); see docs/i18n.md.\n#"
    ),
    "copyright_holder": "linli contributors",
    "msgid_bugs_address": "linli contributors",
    "last_translator": "linli contributors",
    "language_team": "linli contributors",
    "charset": "utf-8",
}
_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:[.\[][^{}!:]*)?(?:![rsa])?(?::[^{}]*)?\}")
# the header lines that change on every run; ignored when deciding whether a file changed
_VOLATILE = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date): .*\n', re.MULTILINE)


def extract(root: Path = ROOT) -> Catalog:
    """Every marked msgid of the package, as a template catalog.

    Parameters:
      root: the checkout, holding ``babel.cfg`` and ``linli/``.
    """
    from linli import __version__

    with open(root / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(root / "babel.cfg"))  # type: ignore[no-untyped-call]
    template = Catalog(project="linli", version=__version__, fuzzy=False, **_HEADER)

    def wanted(directory: str) -> bool:
        # Babel skips folders starting with "_" by default, which would hide linli/_cli
        relative = Path(directory).relative_to(root).parts
        return relative[0] == "linli" and not any(p.startswith(".") or p == "__pycache__" for p in relative)

    for filename, lineno, message, comments, context in extract_from_dir(
        str(root),
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
        directory_filter=wanted,
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def merge(template: Catalog, po_path: Path, language: str) -> Catalog:
    """The catalog at ``po_path`` (new if missing) brought up to date with ``template``.

    Obsolete entries are kept (as ``#~``) and offered again, so a string that
    comes back, or comes back slightly changed (as a fuzzy guess), keeps its
    translation.

    Parameters:
      template: from :func:`extract`.
      po_path: the language's ``.po`` file.
      language: ``zh_CN`` or ``en``; English entries are filled with their msgids.
    """
    if po_path.exists():
        with open(po_path, "rb") as f:
            catalog = read_po(f, locale=language, domain=DOMAIN)
        for key, message in list(catalog.obsolete.items()):
            if message.string and key not in catalog:
                catalog[message.id] = message
        catalog.obsolete.clear()
    else:
        catalog = Catalog(
            locale=language, domain=DOMAIN, project="linli", version=template.version, fuzzy=False, **_HEADER
        )
    # only written when something else changed too (see _write_if_changed)
    catalog.revision_date = dt.datetime.now(dt.UTC)
    english = language.startswith("en")
    catalog.update(template, no_fuzzy_matching=english)
    if english:
        for message in catalog:
            if message.id and (message.fuzzy or not _translated(message)):
                message.string = message.id
                message.flags.discard("fuzzy")
    return catalog


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return bool(strings) and all(strings)


def untranslated(catalog: Catalog) -> list[Message]:
    """The entries with an empty translation or only a fuzzy guess.

    Parameters:
      catalog: a language's catalog.
    """
    return [m for m in catalog if m.id and (m.fuzzy or not _translated(m))]


def placeholders(text: str | Iterable[str]) -> set[str]:
    """The ``{name}`` placeholders of a msgid or msgstr (of every form, for plurals).

    Parameters:
      text: one string or the forms of a plural entry.
    """
    texts = [text] if isinstance(text, str) else list(text)
    return {name for t in texts for name in _PLACEHOLDER.findall(t.replace("{{", "").replace("}}", ""))}


def render_po(catalog: Catalog) -> bytes:
    """``catalog`` as ``.po`` bytes; without line numbers, so moving code does not churn them.

    Parameters:
      catalog: a template or a language's catalog.
    """
    out = io.BytesIO()
    write_po(out, catalog, width=100, include_lineno=False, include_previous=True)
    return out.getvalue()


def render_mo(catalog: Catalog) -> bytes:
    """``catalog`` compiled to ``.mo`` bytes (fuzzy entries left out, as gettext expects).

    Parameters:
      catalog: a language's catalog.
    """
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _write_if_changed(path: Path, content: bytes, *, volatile: bool = False) -> bool:
    if path.exists():
        old = path.read_bytes()
        same = _VOLATILE.sub(b"", old) == _VOLATILE.sub(b"", content) if volatile else old == content
        if same:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)
    return True


def refresh(root: Path = ROOT, languages: Sequence[str] = LANGUAGES, out: TextIO | None = None) -> int:
    """Extract, merge, compile, and report; returns how many ``zh_CN`` entries need a translator.

    Parameters:
      root: the checkout.
      languages: the catalogs to keep; the first is the one reported on.
      out: where the report goes (standard output by default).
    """
    stream = out or sys.stdout
    locale_dir = root / "linli" / "locale"
    template = extract(root)
    changed = []
    if _write_if_changed(locale_dir / f"{DOMAIN}.pot", render_po(template), volatile=True):
        changed.append(f"{DOMAIN}.pot")
    todo: list[Message] = []
    for language in languages:
        po_path = locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if _write_if_changed(po_path, render_po(merge(template, po_path, language)), volatile=True):
            changed.append(str(po_path.relative_to(locale_dir)))
        # compiled from the file as it stands, so the .mo matches the committed .po exactly
        with open(po_path, "rb") as f:
            written = read_po(f, locale=language, domain=DOMAIN)
        if _write_if_changed(po_path.with_suffix(".mo"), render_mo(written)):
            changed.append(str(po_path.with_suffix(".mo").relative_to(locale_dir)))
        if language == languages[0]:
            todo = untranslated(written)
    stale: list[str] = []
    for po_path in sorted(locale_dir.glob(f"*@*/LC_MESSAGES/{DOMAIN}.po")):
        variant = po_path.parent.parent.name
        with open(po_path, "rb") as f:
            written = read_po(f, locale=variant.partition("@")[0], domain=DOMAIN)
        stale += [f"{variant}: {m.id!r}" for m in written if m.id and m.id not in template]
        if _write_if_changed(po_path.with_suffix(".mo"), render_mo(written)):
            changed.append(str(po_path.with_suffix(".mo").relative_to(locale_dir)))
    print(f"{len(template)} messages; updated: {', '.join(changed) or 'nothing'}", file=stream)
    for entry in stale:
        print(f"  [stale] {entry} is no longer in the code: update or delete it", file=stream)
    first = languages[0]
    if todo:
        print(
            f"{first}: {len(todo)} to translate in linli/locale/{first}/LC_MESSAGES/{DOMAIN}.po "
            "(fill msgstr, delete '#, fuzzy' once a guess is checked, then run `make catalogs` again):",
            file=stream,
        )
        for message in todo:
            where = ", ".join(sorted({f for f, _ in message.locations}))
            state = "fuzzy" if message.fuzzy else "new"
            print(f"  [{state}] {message.id!r}  ({where})", file=stream)
    else:
        print(f"{first}: every message is translated.", file=stream)
    return len(todo)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``python -m linli.locale.catalogs [--check]``.

    Parameters:
      argv: the arguments (``sys.argv[1:]`` by default).
    """
    parser = argparse.ArgumentParser(
        prog="python -m linli.locale.catalogs", description="Extract, merge and compile linli's catalogs."
    )
    parser.add_argument("--check", action="store_true", help="exit with 1 while zh_CN has untranslated entries")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout (default: this one)")
    args = parser.parse_args(argv)
    missing = refresh(args.root)
    return 1 if args.check and missing else 0


if __name__ == "__main__":
    sys.exit(main())
