"""Anonymous cases: cases, their messages, receipts, audit and statistics; sealed outbox addresses.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:39:49.552158
"""
from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('case_alias', sa.String(length=20), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_audit_at'), ['at'], unique=False)

    op.create_table('case_receipts',
    sa.Column('receipt_key', sa.String(length=64), nullable=False),
    sa.Column('received_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('receipt_key')
    )
    with op.batch_alter_table('case_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_receipts_received_at'), ['received_at'], unique=False)

    op.create_table('case_stats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('first_reply_seconds', sa.Integer(), nullable=True),
    sa.Column('topic', sa.String(length=20), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_stats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_stats_opened_on'), ['opened_on'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=20), nullable=False),
    sa.Column('sender_key', sa.String(length=64), nullable=False),
    sa.Column('sealed_address', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('stage', sa.String(length=10), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('listening', sa.Boolean(), nullable=False),
    sa.Column('opened_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('waiting_since', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('waiting_alerted_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_reply_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_told_until', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('assigned_to', sa.String(length=100), nullable=True),
    sa.Column('closed_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sa.String(length=200), nullable=True),
    sa.Column('topic', sa.String(length=20), nullable=True),
    sa.Column('stat_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['stat_id'], ['case_stats.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('alias'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_last_message', ['last_message_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_sender_key'), ['sender_key'], unique=False)
        batch_op.create_index('uq_cases_one_open_per_sender', ['sender_key'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('case_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=5), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.create_index('ix_case_messages_unprocessed', ['case_id', 'processed_at'], unique=False)

    # On SQLite the table is rebuilt with AUTOINCREMENT: ids of deleted messages are never reused.
    with op.batch_alter_table('outbound_messages', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('sealed_to', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('recipient_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.alter_column('to_address',
               existing_type=sa.VARCHAR(length=64),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_outbound_messages_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_messages_recipient_key'), ['recipient_key'], unique=False)
        batch_op.create_foreign_key('fk_outbound_messages_case_id', 'cases', ['case_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_constraint('fk_outbound_messages_case_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbound_messages_recipient_key'))
        batch_op.drop_index(batch_op.f('ix_outbound_messages_case_id'))
        batch_op.alter_column('to_address',
               existing_type=sa.VARCHAR(length=64),
               nullable=False)
        batch_op.drop_column('case_id')
        batch_op.drop_column('recipient_key')
        batch_op.drop_column('sealed_to')

    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_case_messages_unprocessed')

    op.drop_table('case_messages')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('uq_cases_one_open_per_sender', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_cases_sender_key'))
        batch_op.drop_index('ix_cases_last_message')

    op.drop_table('cases')
    with op.batch_alter_table('case_stats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_stats_opened_on'))

    op.drop_table('case_stats')
    with op.batch_alter_table('case_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_receipts_received_at'))

    op.drop_table('case_receipts')
    with op.batch_alter_table('case_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_audit_at'))

    op.drop_table('case_audit')
