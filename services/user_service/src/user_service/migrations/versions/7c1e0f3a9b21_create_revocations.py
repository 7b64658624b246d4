"""create revocations

Revision ID: 7c1e0f3a9b21
Revises: 2df8558f3642
Create Date: 2026-12-04 13:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e0f3a9b21'
down_revision = '2df8558f3642'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('revocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revocations')),
    sqlite_autoincrement=True
    )
    op.create_index(op.f('ix_revocations_expires_at'), 'revocations', ['expires_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_revocations_expires_at'), table_name='revocations')
    op.drop_table('revocations')
