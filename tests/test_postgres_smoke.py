from linli.core.storage import Store


def test_migrations_apply_on_postgresql_and_are_idempotent(postgres_url):
    store = Store(postgres_url, migration_dirs=[])
    first = store.upgrade()
    assert "core_0007" in first  # the head of core's branch
    assert store.upgrade() == []
    store.dispose()
