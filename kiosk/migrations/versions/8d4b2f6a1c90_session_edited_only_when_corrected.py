"""service_session.edited: only a session a keeper corrected, not one entered by hand

Revision ID: 8d4b2f6a1c90
Revises: 3c9d1e7a5b20
Create Date: 2026-12-06 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '8d4b2f6a1c90'
down_revision = '3c9d1e7a5b20'
branch_labels = None
depends_on = None


def upgrade():
    # Entries by hand (check-in, check-out, 补记) were stored as edited too; the audit trail tells
    # the real corrections apart.
    op.execute("UPDATE service_session SET edited = false WHERE edited = true AND NOT EXISTS ("
               "SELECT 1 FROM audit_event WHERE audit_event.session_id = service_session.id"
               " AND audit_event.action = 'session.corrected')")


def downgrade():
    op.execute("UPDATE service_session SET edited = true"
               " WHERE check_in_method = 'keeper' OR check_out_method = 'keeper'")
