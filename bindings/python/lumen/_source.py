"""Facts of the Lumen source checkout this package may sit in (``bindings/python/lumen``).

The distribution's version has one source, the Cargo workspace's ``version`` in the
repository's ``Cargo.toml``: ``setup.py`` reads it with :func:`workspace_version` to
version the wheel and writes it into the wheel's ``lumen/_version.py``; a source checkout
that was not installed reads it here. This module needs nothing but the standard library
because ``setup.py`` runs it before anything is installed.
"""

from __future__ import annotations

import re
from pathlib import Path

#: The repository root when this package is used from a source checkout.
REPOSITORY = Path(__file__).resolve().parent.parent.parent.parent
#: The Cargo workspace manifest of the checkout.
MANIFEST = REPOSITORY / "Cargo.toml"

_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\"]+)\s*\]\s*(#.*)?$")
_VERSION = re.compile(r"^\s*version\s*=\s*\"([^\"]+)\"\s*(#.*)?$")


def workspace_version(manifest: Path = MANIFEST) -> str:
    """The ``version`` of ``[workspace.package]`` in ``manifest`` (or of ``[package]`` when
    the manifest has no workspace version). Raises ``FileNotFoundError`` when the manifest
    is absent and ``ValueError`` when it declares no version."""
    versions: dict[str, str] = {}
    table = ""
    for line in manifest.read_text(encoding="utf-8").splitlines():
        header = _TABLE.match(line)
        if header:
            table = header.group(1).replace('"', "")
            continue
        value = _VERSION.match(line)
        if value and table in ("workspace.package", "package"):
            versions.setdefault(table, value.group(1))
    version = versions.get("workspace.package") or versions.get("package")
    if version is None:
        raise ValueError(f"{manifest}: no version in [workspace.package] or [package]")
    return version
