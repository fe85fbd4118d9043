"""The outbox's indexes hold only the rows they are looked up by: due or in flight (status), and
an anonymous case's messages (recipient key, case). A day-of message's row is then written into
three indexes at each change of status instead of five.

On PostgreSQL the new indexes are built with CREATE INDEX CONCURRENTLY beside the old ones, which
are dropped afterwards: the workers go on sending while this runs.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

PARTIAL = {
    'ix_outbound_due': (['status', 'send_after'], "status IN ('pending', 'submitting')"),
    'ix_outbound_messages_recipient_key': (['recipient_key'], 'recipient_key IS NOT NULL'),
    'ix_outbound_messages_case_id': (['case_id'], 'case_id IS NOT NULL'),
}


def _replace(where_of) -> None:
    """Each index rebuilt with ``where_of(name)`` as its condition (None: every row)."""
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for name, (columns, _) in PARTIAL.items():
        where = where_of(name)
        conditions = {} if where is None else {'sqlite_where': sa.text(where), 'postgresql_where': sa.text(where)}
        if not postgresql:
            op.drop_index(name, table_name='outbound_messages')
            op.create_index(name, 'outbound_messages', columns, unique=False, **conditions)
            continue
        with op.get_context().autocommit_block():
            op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS {name}_new')
            op.create_index(f'{name}_new', 'outbound_messages', columns, unique=False, postgresql_concurrently=True, **conditions)
            op.drop_index(name, table_name='outbound_messages', postgresql_concurrently=True)
        op.execute(f'ALTER INDEX {name}_new RENAME TO {name}')


def upgrade() -> None:
    _replace(lambda name: PARTIAL[name][1])


def downgrade() -> None:
    _replace(lambda name: None)
