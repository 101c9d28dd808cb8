"""The words cases are described with: categories, sources, risk levels, contact preferences."""

from __future__ import annotations

from linli.core.plugin import N_

__all__ = ["CATEGORIES", "CONTACT", "FORMS", "RISKS", "SOURCES"]

CATEGORIES = {
    "property": N_("Owners and the property company"),
    "neighbours": N_("Between neighbours"),
    "contractor": N_("Residents and a contractor"),
    "family": N_("Family"),
    "other": N_("Other"),
}
SOURCES = {
    "application": N_("a party's application"),
    "meeting": N_("the morning meeting"),
    "sweep": N_("a sweep"),
    "council": N_("a council matter"),
    "police": N_("referred by the police"),
    "court": N_("referred by the court"),
}
RISKS = {"low": N_("low"), "medium": N_("medium"), "high": N_("high")}
CONTACT = {
    "chat": N_("Here in the private chat"),
    "phone": N_("By phone"),
    "visit": N_("In person"),
}
FORMS = {"written": N_("written"), "oral": N_("oral")}
