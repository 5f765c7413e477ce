"""`flask db upgrade` builds exactly the schema the models describe, from an empty file."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from kiosk import create_app
from kiosk.core.extensions import db
from tests.databases import database_url


def test_upgrade_from_empty_matches_the_models(tmp_path):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
         "SQLALCHEMY_DATABASE_URI": database_url(tmp_path, "m", empty=True)}
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            tables = set(inspect(conn).get_table_names())
        db.engine.dispose()
    assert diff == []
    assert {"station", "keeper", "team", "volunteer", "alembic_version"} <= tables
