"""quiz time extensions

A course may let learners extend its quiz's time limit (WCAG 2.2.1); each attempt counts the
extensions it used so the server enforces the number.

Revision ID: 7e3b1c9a4d20
Revises: 36c79da07d01
Create Date: 2026-11-21 11:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7e3b1c9a4d20'
down_revision = '36c79da07d01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_extensions', sa.Integer(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extensions_used', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.drop_column('extensions_used')
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.drop_column('time_extensions')
