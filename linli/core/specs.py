"""Handler decorators. Each attaches one typed spec as ``linli_spec``; the registry reads it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from attrs import field, frozen

__all__ = [
    "ChoiceSpec",
    "CommandSpec",
    "DialogSpec",
    "EventSpec",
    "JobSpec",
    "LedgerSpec",
    "Spec",
    "ViewSpec",
    "command",
    "ledger",
    "on_choice",
    "on_dialog",
    "on_event",
    "scheduled",
    "spec_of",
    "view",
]

F = TypeVar("F", bound=Callable[..., Any])
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _name(_: Any, attribute: Any, value: str) -> None:
    if not _NAME.match(value):
        raise ValueError(f"{attribute.name} {value!r}: use lower-case Latin letters, digits and '_'")


@frozen
class CommandSpec:
    """A chat command such as ``/help``.

    ``roles`` empty means anyone who has accepted the privacy notice; ``admin``
    may always. ``where`` limits it to group rooms or private chats.
    ``before_consent`` commands work before the privacy notice is accepted.
    """

    name: str = field(validator=_name)
    help: str = ""
    usage: str = ""
    aliases: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    where: Literal["any", "group", "private"] = "any"
    before_consent: bool = False
    hidden: bool = False


@frozen
class ChoiceSpec:
    """What happens when someone picks a button made by ``ctx.choice(label, name, data)``."""

    name: str = field(validator=_name)
    roles: tuple[str, ...] = ()
    before_consent: bool = False


@frozen
class DialogSpec:
    """The next step of a dialog started with ``ctx.start_dialog(name, ...)``.

    ``stopped`` is what ``/cancel`` (or a time-out) answers for a dialog whose steps already
    kept something (a msgid marked with ``N_``, filled from the dialog's data); without it
    the answer is that nothing from the conversation was saved.
    """

    name: str = field(validator=_name)
    stopped: str = ""


@frozen
class EventSpec:
    """A domain event this handler subscribes to (``mediation.case_opened``)."""

    name: str


@frozen
class JobSpec:
    """A cron job run per district, in the district's time zone.

    ``cron`` is five fields (``30 8 * * *``); ``working_days_only`` skips weekends
    and public holidays and keeps the make-up working days (调休).
    """

    name: str = field(validator=_name)
    cron: str = ""
    working_days_only: bool = False


@frozen
class LedgerSpec:
    """A ledger (台账) ``linli export`` can write as XLSX or CSV.

    A ``sensitive`` ledger (special-household codes, health, minimum income: PIPL's sensitive
    personal data) is exported only when asked for explicitly (``--include-sensitive``).
    """

    name: str = field(validator=_name)
    title: str = ""
    sensitive: bool = False


@frozen
class ViewSpec:
    """A page of the web dashboard (``linli web``): ``/d/<district>/<plugin>/<name>``.

    ``roles`` are checked as for a command (empty: anyone who belongs to the district, which
    shows them their own things only); ``exports`` are the plugin's ledgers offered for
    download beside the page; ``wall`` puts the page's figures on the wall display;
    ``personal`` writes every look at the page to the audit log (names, cases, households);
    ``order`` places it in the menu.
    """

    name: str = field(validator=_name)
    title: str = ""
    roles: tuple[str, ...] = ()
    exports: tuple[str, ...] = ()
    wall: bool = False
    personal: bool = False
    order: int = 50


Spec = CommandSpec | ChoiceSpec | DialogSpec | EventSpec | JobSpec | LedgerSpec | ViewSpec


def _attach(spec: Spec) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        if getattr(func, "linli_spec", None) is not None:
            raise TypeError(f"{func.__qualname__} already has a linli decorator")
        func.linli_spec = spec  # type: ignore[attr-defined]
        return func

    return decorate


def spec_of(obj: Any) -> Spec | None:
    """The spec a decorator attached, if any."""
    spec = getattr(obj, "linli_spec", None)
    return spec if isinstance(spec, Spec) else None


def command(
    name: str,
    *,
    help: str = "",
    usage: str = "",
    aliases: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
    where: Literal["any", "group", "private"] = "any",
    before_consent: bool = False,
    hidden: bool = False,
) -> Callable[[F], F]:
    """Declare a chat command. ``help`` and ``usage`` are msgids marked with ``N_``."""
    return _attach(CommandSpec(name, help, usage, aliases, roles, where, before_consent, hidden))


def on_choice(name: str, *, roles: tuple[str, ...] = (), before_consent: bool = False) -> Callable[[F], F]:
    return _attach(ChoiceSpec(name, roles, before_consent))


def on_dialog(name: str, *, stopped: str = "") -> Callable[[F], F]:
    return _attach(DialogSpec(name, stopped))


def on_event(name: str) -> Callable[[F], F]:
    return _attach(EventSpec(name))


def scheduled(name: str, cron: str, *, working_days_only: bool = False) -> Callable[[F], F]:
    return _attach(JobSpec(name, cron, working_days_only))


def ledger(name: str, *, title: str = "", sensitive: bool = False) -> Callable[[F], F]:
    return _attach(LedgerSpec(name, title, sensitive))


def view(
    name: str,
    *,
    title: str = "",
    roles: tuple[str, ...] = (),
    exports: tuple[str, ...] = (),
    wall: bool = False,
    personal: bool = False,
    order: int = 50,
) -> Callable[[F], F]:
    """Declare a page of the web dashboard; the handler takes a ``ViewContext`` and returns a
    ``Page``. ``title`` is a msgid; ``exports`` name the plugin's own ledgers (``cases``)."""
    return _attach(ViewSpec(name, title, roles, exports, wall, personal, order))
