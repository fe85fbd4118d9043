"""Mood check-ins: prompts and answers; pausing check-ins per contact.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 13:32:09.855598
"""
from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mood_prompts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checkin', sa.String(length=100), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('send_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('outbound_message_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('answered_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('alerted_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['outbound_message_id'], ['outbound_messages.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('checkin', 'contact_id', 'local_date', name='uq_mood_prompts_once_a_day')
    )
    with op.batch_alter_table('mood_prompts', schema=None) as batch_op:
        batch_op.create_index('ix_mood_prompts_contact', ['contact_id', 'local_date'], unique=False)
        batch_op.create_index('ix_mood_prompts_due', ['status', 'send_at'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkins_paused_until', bot.storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('checkins_stopped_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('checkins_stopped_at')
        batch_op.drop_column('checkins_paused_until')

    with op.batch_alter_table('mood_prompts', schema=None) as batch_op:
        batch_op.drop_index('ix_mood_prompts_due')
        batch_op.drop_index('ix_mood_prompts_contact')

    op.drop_table('mood_prompts')
