"""Names stored before 张 伟 was taken as 张伟: the space between two Chinese characters goes

A person's name typed with a space between its characters showed as 张*伟 on public screens and
did not match 张伟 in a search. Names are cleaned so at registration now; this cleans the ones
stored before. A name in Latin letters keeps its spaces.

Revision ID: 6d2f8a4c9e13
Revises: 5c3a9e1f7b20
Create Date: 2026-12-07 02:50:00

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6d2f8a4c9e13'
down_revision = '5c3a9e1f7b20'
branch_labels = None
depends_on = None

# As kiosk.core.text.SPACE_IN_CHINESE at the time of writing (a migration keeps its own copy).
_CJK = "\u3005\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f\u00b7\u30fb"
SPACE_IN_CHINESE = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")

NAMES = (("volunteer", "name"), ("keeper", "display_name"))


def upgrade():
    conn = op.get_bind()
    for table, column in NAMES:
        rows = sa.table(table, sa.column("id"), sa.column(column))
        spaced = conn.execute(sa.select(rows.c.id, rows.c[column]).where(rows.c[column].like("% %"))).all()
        for row_id, name in spaced:
            cleaned = SPACE_IN_CHINESE.sub("", name)
            if cleaned != name:
                conn.execute(sa.update(rows).where(rows.c.id == row_id).values({column: cleaned}))


def downgrade():
    pass  # where the spaces were is not kept: the names stay as they are
