"""Plugin names the framework itself knows: the one every district has, and old names."""

from __future__ import annotations

__all__ = ["ALWAYS_ENABLED", "RENAMED", "current_name"]

#: the plugin every district has: help, identity, language, privacy
ALWAYS_ENABLED = "basics"

#: plugins renamed since, by their old name: settings files, databases, manifests' ``depends``
#: and buttons already sent in chats may still say the old one
RENAMED = {"core": "basics"}


def current_name(plugin: str) -> str:
    """A plugin's name today, given a name it may have had (``core`` is ``basics``)."""
    return RENAMED.get(plugin, plugin)
