"""create sent_mail

Revision ID: 5b8e2d4c1a07
Revises:
Create Date: 2026-12-04 21:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b8e2d4c1a07'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # A ledger made before these migrations (the notifier created its table at start) is
    # kept as it is: the table below is the one it made.
    if sa.inspect(op.get_bind()).has_table('sent_mail'):
        return
    op.create_table('sent_mail',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('owner', sa.String(length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade():
    op.drop_table('sent_mail')
