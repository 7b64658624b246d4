"""schedules: recurring jobs, and the (schedule_id, tick) each of their jobs fired for

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('schedules',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('max_retries', sa.Integer(), nullable=False),
    sa.Column('timeout_seconds', sa.Integer(), nullable=True),
    sa.Column('notify_email', sa.Boolean(), nullable=False),
    sa.Column('notify_to', sa.String(length=254), nullable=True),
    sa.Column('owner_name', sa.String(length=64), nullable=True),
    sa.Column('owner_tier', sa.String(length=16), nullable=True),
    sa.Column('cron', sa.String(length=120), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('interval_seconds', sa.Integer(), nullable=True),
    sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('catch_up', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('next_run_at', sa.DateTime(), nullable=True),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.Column('fires', sa.Integer(), server_default='0', nullable=False),
    sa.Column('misses', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedules'))
    )
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.create_index('ix_schedules_enabled_next_run_at', ['enabled', 'next_run_at'], unique=False)
        batch_op.create_index('ix_schedules_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('schedule_inputs',
    sa.Column('schedule_id', sa.String(length=36), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_schedule_inputs_schedule_id_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('schedule_id', name=op.f('pk_schedule_inputs'))
    )
    # Existing jobs came from no schedule: both columns NULL, which the unique constraint
    # lets any number of rows share.
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('tick', sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_jobs_schedule_id_tick'), ['schedule_id', 'tick'])


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_jobs_schedule_id_tick'), type_='unique')
        batch_op.drop_column('tick')
        batch_op.drop_column('schedule_id')
    op.drop_table('schedule_inputs')
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_index('ix_schedules_user_id_created_at')
        batch_op.drop_index('ix_schedules_enabled_next_run_at')
    op.drop_table('schedules')
