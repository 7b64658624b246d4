"""jobs.email_owed: the outbox mark of the finished-job email

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # Rows that ended before this revision owe nothing: their worker sent the email.
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_owed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_jobs_email_owed_finished_at', ['email_owed', 'finished_at'], unique=False)


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_email_owed_finished_at')
        batch_op.drop_column('email_owed')
