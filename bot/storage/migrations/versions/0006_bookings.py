"""Bookable times (the gym): bookings, one live booking per seat of a time.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 15:01:35.909812
"""
from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community', sa.String(length=100), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seat', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('booked_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=100), nullable=True),
    sa.CheckConstraint('seat >= 1', name='ck_bookings_seat_from_one'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name='fk_bookings_event_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name='fk_bookings_member_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_community_time', ['community', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_member_id'), ['member_id'], unique=False)
        batch_op.create_index('uq_bookings_member_time', ['member_id', 'starts_at'], unique=True, sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))
        batch_op.create_index('uq_bookings_seat', ['community', 'starts_at', 'seat'], unique=True, sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))


def downgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_seat', sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))
        batch_op.drop_index('uq_bookings_member_time', sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))
        batch_op.drop_index(batch_op.f('ix_bookings_member_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_event_id'))
        batch_op.drop_index('ix_bookings_community_time')

    op.drop_table('bookings')
