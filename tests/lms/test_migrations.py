"""The schema Alembic builds is the schema the models describe: a model change without a
migration fails here."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lms.db import db


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
