"""communities, events, reminders, attendance, api tokens

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:50:21.924365
"""
from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community', sa.String(length=100), nullable=False),
    sa.Column('starts_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('cancelled_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('followed_up_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('community', 'starts_at', name='uq_events_community_start')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_starts_at', ['starts_at'], unique=False)

    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('community', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('joined_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('consent_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('left_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminder_time', sa.Time(), nullable=True),
    sa.Column('last_activity', sa.String(length=200), nullable=True),
    sa.Column('contact_person_name', sa.String(length=100), nullable=True),
    sa.Column('contact_person_phone', sa.String(length=20), nullable=True),
    sa.Column('contact_person_email', sa.String(length=200), nullable=True),
    sa.Column('contact_person_consent_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('no_show_notified_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contact_id', 'community', name='uq_members_contact_community')
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_community'), ['community'], unique=False)
        batch_op.create_index(batch_op.f('ix_members_contact_id'), ['contact_id'], unique=False)

    op.create_table('attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('reply', sa.String(length=12), nullable=True),
    sa.Column('reply_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('presence', sa.String(length=12), nullable=True),
    sa.Column('presence_set_by', sa.String(length=100), nullable=True),
    sa.Column('updated_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'event_id', name='uq_attendance_member_event')
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_event_id'), ['event_id'], unique=False)

    op.create_table('reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('send_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('personal_line', sa.Text(), nullable=True),
    sa.Column('skipped_by', sa.String(length=100), nullable=True),
    sa.Column('outbound_message_id', sa.Integer(), nullable=True),
    sa.Column('queued_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbound_message_id'], ['outbound_messages.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'event_id', name='uq_reminders_member_event')
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index('ix_reminders_due', ['status', 'send_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_event_id'), ['event_id'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pronouns', sa.String(length=40), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('pronouns')

    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_event_id'))
        batch_op.drop_index('ix_reminders_due')

    op.drop_table('reminders')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_event_id'))

    op.drop_table('attendance')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_contact_id'))
        batch_op.drop_index(batch_op.f('ix_members_community'))

    op.drop_table('members')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_starts_at')

    op.drop_table('events')
    op.drop_table('api_tokens')
