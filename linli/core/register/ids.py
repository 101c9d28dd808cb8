"""ID numbers, phone numbers and the salt: what the register must never keep in clear.

An ID number (居民身份证号) is checked (its length, its date of birth and its check
character, GB 11643) and kept only as an HMAC-SHA-256 under a salt made once per
deployment and stored in the database (``linli_secrets``): equal numbers give equal
hashes, so duplicates are found, and the table alone gives no number back.
"""

from __future__ import annotations

import datetime as dt
import hmac
import operator
import re
import secrets as _secrets

import sqlalchemy as sa

from linli.core.storage import schema as s

__all__ = ["birth_date_of", "check_id_number", "hash_id", "id_salt", "masked_phone", "normal_phone"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,22}[0-9]$")
SALT_NAME = "id_salt"


def id_salt(conn: sa.Connection) -> bytes:
    """The deployment's salt for ID-number hashes, made on first use and kept."""
    value = conn.execute(sa.select(s.secrets.c.value).where(s.secrets.c.name == SALT_NAME)).scalar()
    if value is None:
        s.insert_ignore(conn, s.secrets, {"name": SALT_NAME, "value": _secrets.token_hex(32)}, "name")
        value = conn.execute(sa.select(s.secrets.c.value).where(s.secrets.c.name == SALT_NAME)).scalar_one()
    return bytes.fromhex(value)


def check_id_number(text: str) -> str | None:
    """The ID number in its normal form (18 characters, a capital X), or None when it is not one."""
    number = text.strip().upper()
    if len(number) != 18:
        number = number.replace(" ", "")
        if len(number) != 18:
            return None
    body = number[:17]
    if not (body.isascii() and body.isdigit()):
        return None
    last = number[17]
    if _CHECK[sum(map(operator.mul, map(int, body), _WEIGHTS)) % 11] != last:
        return None
    if birth_date_of(number) is None:
        return None
    return number


def birth_date_of(number: str) -> dt.date | None:
    """The date of birth written in an 18-character ID number."""
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def hash_id(salt: bytes, number: str) -> str:
    """The salted hash of a checked ID number (see :func:`check_id_number`)."""
    return hmac.digest(salt, number.encode("ascii"), "sha256").hex()


def normal_phone(text: str) -> str | None:
    """A phone number as digits (a leading + and dashes kept), or None when it is not one."""
    phone = text.strip()
    if not phone:
        return None
    if not phone.isascii() or not _PHONE.match(phone):
        return None
    return phone.replace(" ", "")


def masked_phone(phone: str | None) -> str:
    """A phone number shown in a history or a log: its last four digits only."""
    if not phone:
        return ""
    return "*" * max(len(phone) - 4, 0) + phone[-4:]
