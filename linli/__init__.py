"""linli (邻里): a chat-platform-agnostic plugin framework for grassroots community governance."""

__version__ = "0.1.0"
__all__ = ["__version__"]
