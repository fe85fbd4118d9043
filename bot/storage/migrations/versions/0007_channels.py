"""Instagram and web chat: choices beside a message, attachments, Meta's 24 hours, account status.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 17:05:00
"""
from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.String(length=255), nullable=True),
    sa.Column('changed_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'account_id', name='uq_channel_accounts')
    )
    with op.batch_alter_table('contact_urns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_inbound_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=True))
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('choices', sa.JSON(), nullable=True))
    # Instagram's message ids are longer than Twilio's sids. SQLite does not enforce a VARCHAR's
    # length (and rebuilding those tables there would be for nothing).
    if op.get_bind().dialect.name != 'sqlite':
        for table in ('inbound_messages', 'outbound_messages'):
            op.alter_column(table, 'provider_id', type_=sa.String(length=255), existing_type=sa.String(length=64))


def downgrade() -> None:
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_column('choices')
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_column('attachments')
    with op.batch_alter_table('contact_urns', schema=None) as batch_op:
        batch_op.drop_column('last_inbound_at')
    op.drop_table('channel_accounts')
