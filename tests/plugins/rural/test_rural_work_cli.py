"""``linli export rural.scholarships``: students by number, their names only with
``--include-sensitive``, and the audit log says which export had them."""

from __future__ import annotations

import datetime as dt

import openpyxl
import sqlalchemy as sa
from click.testing import CliRunner

from linli.cli import main
from linli.core.storage import ScopedStore, Store
from linli.core.storage import schema as s
from linli.core.storage.migrate import migration_dirs
from linli.plugins.rural.enterprise_tables import fund_entries, students

SETTINGS = """
[storage]
url = "sqlite:///{db}"
[logging]
level = "error"
[districts.yahe]
name = "雅河村"
kind = "village"
rooms = ["console:yahe"]
plugins = ["basics", "rural"]
"""


def run(tmp_path, *args: str):  # type: ignore[no-untyped-def]
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS.format(db=tmp_path / "linli.db"), encoding="utf-8")
    env = {"LINLI_LANG": "en", "LINLI_SETTINGS": None, "LINLI_DATABASE_URL": None}
    return CliRunner().invoke(main, ["--settings", str(settings), *args], env=env)


def test_students_names_leave_only_in_an_audited_sensitive_export(tmp_path):
    assert run(tmp_path, "db", "upgrade").exit_code == 0
    store = Store(f"sqlite:///{tmp_path / 'linli.db'}", migration_dirs=migration_dirs(["linli.plugins.rural"]))
    now = dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC)
    try:
        with store.begin() as conn:
            scoped = ScopedStore(conn, "rural", "yahe")
            student = scoped.insert(students, number=1, name="王小明", school="雅河小学", added_at=now)
            for kind, amount, balance, sid in (
                ("donation", 640000, 640000, None),
                ("disbursement", 3200, 636800, student),
            ):
                scoped.insert(
                    fund_entries,
                    kind=kind,
                    amount_fen=amount,
                    balance_fen=balance,
                    student_id=sid,
                    term="2026秋" if sid else "",
                    donor="" if sid else "沈阳海关",
                    on_date=dt.date(2026, 11, 26),
                    recorded_at=now,
                )
    finally:
        store.dispose()
    plain, full = tmp_path / "plain.xlsx", tmp_path / "full.xlsx"
    assert run(tmp_path, "export", "rural.scholarships", "--district", "yahe", "-o", str(plain)).exit_code == 0
    done = run(tmp_path, "export", "rural.scholarships", "--district", "yahe", "-o", str(full), "--include-sensitive")
    assert done.exit_code == 0, done.output
    plain_rows = list(openpyxl.load_workbook(plain).active.iter_rows(values_only=True))
    full_rows = list(openpyxl.load_workbook(full).active.iter_rows(values_only=True))
    assert plain_rows[0] == ("日期", "类型", "捐赠方", "学生", "学期", "金额（元）", "余额（元）")
    assert "王小明" not in str(plain_rows)
    assert full_rows[2][3:6] == ("#1", "王小明", "雅河小学")
    store = Store(f"sqlite:///{tmp_path / 'linli.db'}", migration_dirs=[])
    try:
        with store.connect() as conn:
            details = conn.execute(
                sa.select(s.audit_log.c.detail).where(s.audit_log.c.action == "export").order_by(s.audit_log.c.id)
            ).scalars()
            assert ["sensitive" in str(d) for d in details] == [False, True]
    finally:
        store.dispose()
