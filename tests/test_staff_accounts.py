"""Staff console accounts: users, passwords, the second factor, server-side sessions, the audit,
the `ungebot users` commands, and the migration that makes their tables."""
from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import create_engine, select

from bot.cli import cli
from bot.core import clock
from bot.domain.staff import accounts
from bot.domain.staff.accounts import AccountError
from bot.storage.migrate import alembic_config
from bot.storage.models import Base, StaffAudit, StaffSession

from helpers import database_dump

# What is stored and checked here is the real thing, at the real cost.
pytestmark = pytest.mark.real_password_hashing

PASSWORD = "korrekt hest batteri"
SECRET_KEY = "test-secret"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
COMMUNITY = "onsdag"  # one of the shipped flows' communities


@pytest.fixture
def frozen():
    """The clock stands still but for clock.travel, so that a time written can be compared."""
    with time_machine.travel(START, tick=False):
        clock.set_now(START)
        yield


@pytest.fixture
def db(runtime, frozen):
    with runtime.db.session() as session:
        yield session


def add(db, email="kirsten@kommune.dk", role="staff", communities=(COMMUNITY,), password=PASSWORD):
    return accounts.add_user(db, email=email, role=role, communities=communities, password=password, now=clock.now())


def audit_rows(db) -> list[tuple[str, str, str | None]]:
    db.flush()
    return [(row.actor, row.action, row.detail) for row in db.scalars(select(StaffAudit).order_by(StaffAudit.id))]


# Users -------------------------------------------------------------------------------------------

def test_a_user_is_stored_with_a_lower_case_email_and_an_argon2id_hash(db):
    user = add(db, email="  Kirsten.Holm@Kommune.DK ", communities=(COMMUNITY, "cafe", COMMUNITY))
    assert (user.email, user.role, user.communities) == ("kirsten.holm@kommune.dk", "staff", [COMMUNITY, "cafe"])
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert accounts.find_user(db, "KIRSTEN.HOLM@kommune.dk") is user
    assert audit_rows(db) == [("command line", "user_added", "kirsten.holm@kommune.dk (staff)")]


def test_a_user_who_signs_in_only_by_single_sign_on_has_no_password(db):
    assert add(db, email="sofie@kommune.dk", role="counsellor", communities=(), password=None).password_hash is None
    assert accounts.check_password(db, "sofie@kommune.dk", "", clock.now()) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "kirsten"}, "'kirsten' is not an email address"),
        ({"email": "kirsten@kommune"}, "is not an email address"),
        ({"email": "kir sten@kommune.dk"}, "is not an email address"),
        ({"role": "janitor"}, "the role must be one of staff, counsellor, admin"),
        ({"password": "elleve tegn"}, "the password must be at least 12 characters"),
        ({"communities": ()}, "a staff user must have at least one community"),
        ({"role": "counsellor"}, "only staff users have communities, not a counsellor"),
    ],
)
def test_a_user_that_cannot_be_added_is_refused_with_the_reason(db, changes, message):
    with pytest.raises(AccountError, match=message):
        add(db, **changes)
    assert accounts.list_users(db) == []


def test_an_email_is_one_user_whatever_its_case(db):
    add(db)
    with pytest.raises(AccountError, match=r"a user 'kirsten@kommune\.dk' exists already"):
        add(db, email="Kirsten@Kommune.dk", role="admin", communities=())


def test_users_are_listed_by_email(db):
    add(db, email="b@kommune.dk")
    add(db, email="a@kommune.dk", role="admin", communities=())
    assert [user.email for user in accounts.list_users(db)] == ["a@kommune.dk", "b@kommune.dk"]


# Single sign-on ----------------------------------------------------------------------------------

ROLES_BY_CLAIM = {"ungebot-staff": "staff", "ungebot-counsellor": "counsellor", "ungebot-admin": "admin"}
SUBJECT = "https://login.example/tenant/v2.0|kirsten-sub"


def sign_on(db, claimed_roles=("ungebot-staff",), email="kirsten@kommune.dk", subject=SUBJECT):
    return accounts.sign_on(db, subject=subject, email=email, claimed_roles=claimed_roles, roles_by_claim=ROLES_BY_CLAIM, now=clock.now())


def test_single_sign_on_makes_an_account_without_password_or_communities_once(db):
    made = sign_on(db)
    assert (made.email, made.role, made.communities, made.password_hash, made.oidc_subject) == ("kirsten@kommune.dk", "staff", [], None, SUBJECT)
    assert sign_on(db, email="kirsten.holm@kommune.dk") is made, "found by the subject, whatever the email says now"
    assert audit_rows(db) == [("single sign-on", "user_added", "kirsten@kommune.dk (staff)")]


def test_single_sign_on_takes_the_first_role_the_mapping_names_and_refuses_none(db):
    assert sign_on(db, claimed_roles=["ungebot-admin", "ungebot-counsellor", "kantine"]).role == "counsellor"
    with pytest.raises(accounts.SignOnRefused) as refused:
        sign_on(db, claimed_roles=["kantine"], subject="other|sub", email="lars@kommune.dk")
    assert refused.value.reason == accounts.NO_ROLE and accounts.find_user(db, "lars@kommune.dk") is None


def test_single_sign_on_without_a_usable_email_is_refused_with_the_reason(db):
    with pytest.raises(accounts.SignOnRefused, match="'' is not an email address"):
        sign_on(db, email="")


# The password ------------------------------------------------------------------------------------

def test_the_password_lets_in_only_its_user(db):
    user = add(db)
    now = clock.now()
    assert accounts.check_password(db, "Kirsten@kommune.dk ", PASSWORD, now) is user
    assert accounts.check_password(db, "kirsten@kommune.dk", PASSWORD + "!", now) is None
    assert accounts.check_password(db, "kirsten@kommune.dk", PASSWORD.upper(), now) is None
    assert accounts.check_password(db, "nobody@kommune.dk", PASSWORD, now) is None
    accounts.disable_user(db, "kirsten@kommune.dk", now)
    assert accounts.check_password(db, "kirsten@kommune.dk", PASSWORD, now) is None


def test_refusing_an_unknown_or_disabled_user_takes_a_verification_like_a_wrong_password(db, monkeypatch):
    add(db)
    add(db, email="sofie@kommune.dk", role="counsellor", communities=())
    accounts.disable_user(db, "sofie@kommune.dk", clock.now())
    verified = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash, password):
            verified.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "_hasher", CountingHasher())
    for email in ("kirsten@kommune.dk", "nobody@kommune.dk", "sofie@kommune.dk"):
        verified.clear()
        assert accounts.check_password(db, email, "not the password", clock.now()) is None
        assert len(verified) == 1 and verified[0].startswith("$argon2id$")


def test_a_hash_made_with_weaker_parameters_is_replaced_at_the_next_sign_in(db):
    user = add(db)
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    user.password_hash = weak
    assert accounts.check_password(db, user.email, "wrong password!", clock.now()) is None
    assert user.password_hash == weak
    assert accounts.check_password(db, user.email, PASSWORD, clock.now()) is user
    assert user.password_hash != weak and user.password_hash.startswith("$argon2id$")
    assert not PasswordHasher().check_needs_rehash(user.password_hash)


# The second factor -------------------------------------------------------------------------------

def code(secret: str, at: datetime, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(at, counter_offset=steps)


def enrolled(db, secret: str):
    user = add(db, email="sofie@kommune.dk", role="counsellor", communities=())
    assert accounts.enrol_second_factor(db, user, secret, code(secret, clock.now()), clock.now(), SECRET_KEY)
    return user


def test_enrolling_keeps_the_secret_only_for_a_right_code(db):
    user = add(db, email="sofie@kommune.dk", role="counsellor", communities=())
    secret = accounts.new_totp_secret()
    wrong = str((int(code(secret, clock.now())) + 1) % 1_000_000).zfill(6)
    assert not accounts.enrol_second_factor(db, user, secret, wrong, clock.now(), SECRET_KEY)
    assert (user.totp_secret_sealed, user.totp_enrolled_at) == (None, None)
    assert accounts.enrol_second_factor(db, user, secret, code(secret, clock.now()), clock.now(), SECRET_KEY)
    assert user.totp_enrolled_at == clock.now() and user.totp_secret_sealed
    assert audit_rows(db)[-1] == ("sofie@kommune.dk", "enrolled_2fa", None)
    with pytest.raises(AccountError, match="has a second factor already"):
        accounts.enrol_second_factor(db, user, accounts.new_totp_secret(), "000000", clock.now(), SECRET_KEY)


def test_the_secret_is_sealed_in_the_database(runtime, db):
    secret = accounts.new_totp_secret()
    enrolled(db, secret)
    db.commit()
    dump = "\n".join(database_dump(runtime).values())
    assert "sofie@kommune.dk" in dump
    assert secret not in dump and secret.lower() not in dump and PASSWORD not in dump


def test_a_right_code_is_accepted_once(db):
    secret = accounts.new_totp_secret()
    user = enrolled(db, secret)
    enrolment_code = code(secret, clock.now())
    assert not accounts.check_second_factor(db, user, enrolment_code, clock.now(), SECRET_KEY), "used to enrol"
    clock.travel(timedelta(seconds=30))
    now = clock.now()
    spaced = code(secret, now)[:3] + " " + code(secret, now)[3:]
    assert accounts.check_second_factor(db, user, spaced, now, SECRET_KEY)
    assert not accounts.check_second_factor(db, user, code(secret, now), now, SECRET_KEY), "replayed"
    assert user.totp_last_step == pyotp.TOTP(secret).timecode(now)


def test_a_code_from_the_step_before_or_after_counts_but_not_further(db):
    secret = accounts.new_totp_secret()
    user = enrolled(db, secret)
    clock.travel(timedelta(minutes=5))
    now = clock.now()
    assert not accounts.check_second_factor(db, user, code(secret, now, steps=-2), now, SECRET_KEY)
    assert accounts.check_second_factor(db, user, code(secret, now, steps=-1), now, SECRET_KEY)
    assert not accounts.check_second_factor(db, user, code(secret, now, steps=2), now, SECRET_KEY)
    assert accounts.check_second_factor(db, user, code(secret, now, steps=1), now, SECRET_KEY)
    # An older code than the last one accepted is used up as well.
    assert not accounts.check_second_factor(db, user, code(secret, now), now, SECRET_KEY)


def test_a_user_without_a_second_factor_has_no_right_code(db):
    user = add(db, email="sofie@kommune.dk", role="counsellor", communities=())
    assert not accounts.check_second_factor(db, user, "123456", clock.now(), SECRET_KEY)
    assert not accounts.check_second_factor(db, user, "", clock.now(), SECRET_KEY)


def test_a_changed_secret_key_opens_no_second_factor(db, caplog):
    secret = accounts.new_totp_secret()
    user = enrolled(db, secret)
    clock.travel(timedelta(seconds=30))
    with caplog.at_level(logging.ERROR):
        assert not accounts.check_second_factor(db, user, code(secret, clock.now()), clock.now(), "another-secret")
    assert "reset-2fa" in caplog.text and secret not in caplog.text
    with pytest.raises(ValueError, match="SECRET_KEY"):
        accounts.check_second_factor(db, user, code(secret, clock.now()), clock.now(), "")


def test_the_qr_code_is_an_inline_svg_of_the_provisioning_uri(db):
    user = add(db, email="sofie@kommune.dk", role="counsellor", communities=())
    uri = accounts.provisioning_uri(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert uri == "otpauth://totp/Ungebot:sofie%40kommune.dk?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Ungebot"
    svg = accounts.qr_svg(uri)
    assert svg.startswith("<svg") and svg.endswith("</svg>") and "<path" in svg
    assert "<?xml" not in svg and "http" not in svg and "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" not in svg
    assert "viewBox=" in svg and "width=" not in svg, "scaled to fit the page whole, never cropped"


# Sessions ----------------------------------------------------------------------------------------

def test_a_session_is_found_by_its_token_and_only_its_hash_is_stored(db):
    user = add(db)
    token = accounts.open_session(db, user, clock.now(), second_factor=True)
    found_user, staff_session = accounts.current_session(db, token, clock.now())
    assert found_user is user and staff_session.second_factor_at == clock.now() and user.last_sign_in_at == clock.now()
    assert staff_session.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert accounts.current_session(db, token + "x", clock.now()) is None


def test_a_counsellor_is_signed_in_only_after_the_second_factor(db):
    secret = accounts.new_totp_secret()
    user = enrolled(db, secret)
    token = accounts.open_session(db, user, clock.now(), second_factor=False)
    _, staff_session = accounts.current_session(db, token, clock.now())
    assert staff_session.second_factor_at is None and user.last_sign_in_at is None
    clock.travel(timedelta(seconds=30))
    assert accounts.check_second_factor(db, user, code(secret, clock.now()), clock.now(), SECRET_KEY)
    signed_in = accounts.second_factor_given(db, user, token, clock.now())
    assert accounts.current_session(db, token, clock.now()) is None, "the token from before the code opens nothing"
    _, staff_session = accounts.current_session(db, signed_in, clock.now())
    assert staff_session.second_factor_at == clock.now() == user.last_sign_in_at


def test_a_counsellor_idle_for_30_minutes_is_signed_out_on_the_server(db):
    user = add(db, email="sofie@kommune.dk", role="counsellor", communities=())
    token = accounts.open_session(db, user, clock.now(), second_factor=True)
    clock.travel(timedelta(minutes=29))
    assert accounts.current_session(db, token, clock.now()) is not None
    clock.travel(timedelta(minutes=30))
    assert accounts.current_session(db, token, clock.now()) is not None, "29 minutes after the last request"
    clock.travel(timedelta(minutes=30, seconds=1))
    assert accounts.current_session(db, token, clock.now()) is None
    assert db.scalars(select(StaffSession.ended_at)).one() == clock.now()
    assert audit_rows(db)[-1] == ("sofie@kommune.dk", "sign_out", "idle")
    clock.travel(timedelta(seconds=1))
    assert accounts.current_session(db, token, clock.now()) is None
    assert [action for _, action, _ in audit_rows(db)].count("sign_out") == 1


def test_a_staff_session_lasts_a_working_day_idle(db):
    user = add(db)
    token = accounts.open_session(db, user, clock.now(), second_factor=True)
    clock.travel(timedelta(hours=2))
    assert accounts.current_session(db, token, clock.now()) is not None
    clock.travel(accounts.STAFF_IDLE_LIMIT + timedelta(seconds=1))
    assert accounts.current_session(db, token, clock.now()) is None


def test_last_seen_is_written_at_most_once_a_minute(db):
    user = add(db)
    token = accounts.open_session(db, user, clock.now(), second_factor=True)
    opened = clock.now()
    clock.travel(timedelta(seconds=50))
    assert accounts.current_session(db, token, clock.now())[1].last_seen_at == opened
    clock.travel(timedelta(seconds=20))
    assert accounts.current_session(db, token, clock.now())[1].last_seen_at == clock.now()


def test_signing_out_ends_the_session_at_once(db):
    user = add(db)
    token = accounts.open_session(db, user, clock.now(), second_factor=True)
    other = accounts.open_session(db, user, clock.now(), second_factor=True)
    accounts.end_session(db, token, clock.now())
    assert accounts.current_session(db, token, clock.now()) is None
    assert accounts.current_session(db, other, clock.now()) is not None
    accounts.end_session(db, token, clock.now())
    accounts.end_session(db, "no such token", clock.now())


def test_disabling_a_user_ends_their_sessions(db):
    user = add(db)
    tokens = [accounts.open_session(db, user, clock.now(), second_factor=True) for _ in range(2)]
    accounts.disable_user(db, "Kirsten@kommune.dk", clock.now())
    assert user.disabled_at == clock.now()
    assert [accounts.current_session(db, token, clock.now()) for token in tokens] == [None, None]
    assert audit_rows(db)[-1] == ("command line", "user_disabled", "kirsten@kommune.dk; 2 session(s) ended")
    accounts.disable_user(db, "kirsten@kommune.dk", clock.now() + timedelta(hours=1))
    assert user.disabled_at == clock.now() and len(audit_rows(db)) == 2
    with pytest.raises(AccountError, match=r"no user 'nobody@kommune\.dk'"):
        accounts.disable_user(db, "nobody@kommune.dk", clock.now())


def test_resetting_the_second_factor_signs_out_and_lets_them_enrol_again(db):
    old = accounts.new_totp_secret()
    user = enrolled(db, old)
    token = accounts.open_session(db, user, clock.now(), second_factor=True)
    accounts.reset_second_factor(db, user.email, clock.now())
    assert (user.totp_secret_sealed, user.totp_enrolled_at, user.totp_last_step) == (None, None, None)
    assert accounts.current_session(db, token, clock.now()) is None
    assert audit_rows(db)[-1] == ("command line", "2fa_reset", "sofie@kommune.dk; 1 session(s) ended")
    clock.travel(timedelta(seconds=30))
    assert not accounts.check_second_factor(db, user, code(old, clock.now()), clock.now(), SECRET_KEY)
    new = accounts.new_totp_secret()
    assert accounts.enrol_second_factor(db, user, new, code(new, clock.now()), clock.now(), SECRET_KEY)


# The commands ------------------------------------------------------------------------------------

@pytest.fixture
def ungebot(runtime, frozen, monkeypatch):
    # The commands set up logging for a terminal; in-process that would outlive the test's streams.
    monkeypatch.setattr("bot.logs.configure", lambda *args, **kwargs: None)
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(cli, list(args), input=input)


def test_users_add_list_disable_and_reset_2fa(runtime, ungebot):
    added = ungebot("users", "add", "Kirsten@Kommune.dk", "--role", "staff", "--community", COMMUNITY, "--community", "cafe",
                    "--password-stdin", input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert added.stdout == "kirsten@kommune.dk added as staff\n"
    prompted = ungebot("users", "add", "sofie@kommune.dk", "--role", "counsellor", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    assert "Password" in prompted.stderr and PASSWORD not in prompted.output

    with runtime.db.session() as session:
        assert accounts.check_password(session, "sofie@kommune.dk", PASSWORD, clock.now()) is not None
        user = accounts.find_user(session, "kirsten@kommune.dk")
        accounts.open_session(session, user, clock.now(), second_factor=True)
        hashes = [user.password_hash for user in accounts.list_users(session)]

    listed = ungebot("users", "list")
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["EMAIL", "ROLE", "COMMUNITIES", "2FA", "DISABLED", "LAST", "SIGN-IN"]
    assert lines[1].split() == ["kirsten@kommune.dk", "staff", f"{COMMUNITY},cafe", "no", "-", "2026-12-01", "10:00"]
    assert lines[2].split() == ["sofie@kommune.dk", "counsellor", "-", "no", "-", "-"]
    assert not any(part in listed.output for password_hash in hashes for part in password_hash.split("$") if len(part) > 8)

    assert ungebot("users", "disable", "kirsten@kommune.dk").stdout == "kirsten@kommune.dk is disabled and signed out\n"
    reset = ungebot("users", "reset-2fa", "SOFIE@kommune.dk")
    assert reset.exit_code == 0 and reset.stdout.startswith("sofie@kommune.dk is signed out")
    assert ungebot("users", "list").stdout.splitlines()[1].split()[4:6] == ["2026-12-01", "10:00"]

    with runtime.db.session() as session:
        rows = audit_rows(session)
    assert [(actor, action) for actor, action, _ in rows] == [
        ("command line", "user_added"), ("command line", "user_added"), ("command line", "user_disabled"), ("command line", "2fa_reset"),
    ]
    assert not any(PASSWORD in str(row) for row in rows)


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (("kirsten@kommune.dk", "--role", "staff", "--community", "nowhere"), PASSWORD, "no community 'nowhere' (known: "),
        (("kirsten@kommune.dk", "--role", "staff"), PASSWORD, "a staff user must have at least one community"),
        (("kirsten@kommune.dk", "--role", "admin"), "too short", "the password must be at least 12 characters"),
        (("kirsten", "--role", "admin"), PASSWORD, "'kirsten' is not an email address"),
        (("kirsten@kommune.dk", "--role", "admin"), "", "no password on standard input"),
    ],
)
def test_users_add_mistakes_exit_1_with_one_line(runtime, ungebot, args, password, message):
    result = ungebot("users", "add", *args, "--password-stdin", input=password + "\n")
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
    assert "Traceback" not in result.output and (not password or password not in result.output)
    with runtime.db.session() as session:
        assert accounts.list_users(session) == [] and audit_rows(session) == []


def test_users_commands_refuse_what_is_not_there(runtime, ungebot):
    assert ungebot("users", "add", "kirsten@kommune.dk", "--role", "admin", "--password-stdin", input=PASSWORD).exit_code == 0
    duplicate = ungebot("users", "add", "KIRSTEN@kommune.dk", "--role", "admin", "--password-stdin", input=PASSWORD)
    assert duplicate.exit_code == 1 and "a user 'kirsten@kommune.dk' exists already" in duplicate.stderr
    for command_name in ("disable", "reset-2fa"):
        unknown = ungebot("users", command_name, "nobody@kommune.dk")
        assert unknown.exit_code == 1 and unknown.stderr.strip() == "Error: no user 'nobody@kommune.dk'"
    mismatch = ungebot("users", "add", "sofie@kommune.dk", "--role", "counsellor", input=f"{PASSWORD}\n{PASSWORD}?\n{PASSWORD}\n{PASSWORD}\n")
    assert mismatch.exit_code == 0 and "do not match" in mismatch.stderr
    assert ungebot("users", "add", "x@kommune.dk", "--role", "janitor", "--password-stdin", input=PASSWORD).exit_code == 2


# The migration -----------------------------------------------------------------------------------

STAFF_TABLES = {"staff_users", "staff_sessions", "staff_audit"}


def test_the_migration_makes_the_staff_tables_the_models_describe(database_url):
    def staff_table(name, type_) -> bool:
        return type_ != "table" or name in STAFF_TABLES

    options = {
        "compare_type": True,
        "include_name": lambda name, type_, _parent: staff_table(name, type_),
        "include_object": lambda _object, name, type_, _reflected, _compare_to: staff_table(name, type_),
    }
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=options)
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_the_migration_goes_down_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'ungebot.sqlite3'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "0007")
    engine = create_engine(url)
    with engine.connect() as connection:
        assert not STAFF_TABLES & set(engine.dialect.get_table_names(connection))
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert set(engine.dialect.get_table_names(connection)) >= STAFF_TABLES
    engine.dispose()



def test_an_account_for_single_sign_on_only_has_no_password(runtime_factory, frozen, monkeypatch):
    monkeypatch.setattr("bot.logs.configure", lambda *args, **kwargs: None)
    runner = CliRunner()
    runtime_factory()
    refused = runner.invoke(cli, ["users", "add", "kirsten@kommune.dk", "--role", "staff", "--community", "cafe", "--sso-only"])
    assert refused.exit_code == 1 and "--sso-only needs single sign-on: set OIDC_ISSUER" in refused.stderr
    sso = runtime_factory(oidc_issuer="https://login.microsoftonline.com/kommune/v2.0", oidc_client_id="ungebot", oidc_client_secret="s3cret")
    added = runner.invoke(cli, ["users", "add", "kirsten@kommune.dk", "--role", "staff", "--community", "cafe", "--sso-only"])
    assert added.exit_code == 0 and "Password" not in added.output, added.output
    with sso.db.session() as session:
        user = accounts.find_user(session, "kirsten@kommune.dk")
        assert (user.password_hash, user.communities) == (None, ["cafe"])
        assert accounts.check_password(session, "kirsten@kommune.dk", "", clock.now()) is None


def test_it_sets_the_communities_a_staff_user_works_in(runtime, ungebot):
    assert ungebot("users", "add", "kirsten@kommune.dk", "--role", "staff", "--community", "cafe", "--password-stdin", input=PASSWORD).exit_code == 0
    moved = ungebot("users", "communities", "kirsten@kommune.dk", "gym", "cafe")
    assert moved.exit_code == 0 and moved.stdout == "kirsten@kommune.dk works in gym, cafe\n"
    assert ungebot("users", "communities", "kirsten@kommune.dk", "nowhere").exit_code == 1
    assert ungebot("users", "add", "sofie@kommune.dk", "--role", "counsellor", "--password-stdin", input=PASSWORD).exit_code == 0
    counsellor = ungebot("users", "communities", "sofie@kommune.dk", "cafe")
    assert counsellor.exit_code == 1 and "only staff users have communities, not a counsellor" in counsellor.stderr
    with runtime.db.session() as session:
        assert accounts.find_user(session, "kirsten@kommune.dk").communities == ["gym", "cafe"]
        assert ("command line", "communities_set", "kirsten@kommune.dk: gym,cafe") in audit_rows(session)
