"""Alembic environment: linli runs migrations programmatically (``linli db upgrade``),
on the connection it passes in ``config.attributes``."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=context.config.attributes.get("target_metadata"),
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=context.config.attributes.get("include_object"),
    # a plugin's migrations name linli's column types as the plugin API exports them
    user_module_prefix=context.config.attributes.get("user_module_prefix"),
    process_revision_directives=context.config.attributes.get("process_revision_directives"),
)
with context.begin_transaction():
    context.run_migrations()
