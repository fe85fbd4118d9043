"""The issue's numbers as (slow) tests: ``make bench`` runs ``pytest -m slow bench``.

Each runs the script of the same name in this folder and prints its lines; run a script
directly (``.venv/bin/python bench/reminders_burst.py --help``) for its options.
"""
from __future__ import annotations

import pytest

from bench import case_reply, engine, faults, memory, reminders_burst, replies, scale_out, scheduler_pass, webhook_ingest


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ten_thousand_reminders_due_at_once_are_sent_within_thirty_seconds(capsys):
    with capsys.disabled():
        print()
        result = reminders_burst.run(members=10_000, worker_count=2, limit=30.0)
    assert result["problems"] == []


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_scheduler_pass_with_a_million_future_reminders_costs_under_fifty_ms(capsys):
    with capsys.disabled():
        print()
        result = scheduler_pass.run(reminders=1_000_000, passes=200, history=True)
    assert result["problems"] == []


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_counsellors_reply_reaches_the_phone_within_seconds(capsys):
    with capsys.disabled():
        print()
        result = case_reply.run(cases=50, worker_count=2, limit=5.0)
    assert result["problems"] == []


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_faults_lose_nothing_and_send_nothing_twice(capsys):
    with capsys.disabled():
        print()
        result = faults.run()
    assert result["problems"] == []


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_scale_out_through_kills_loses_nothing_and_keeps_each_young_persons_order(capsys):
    with capsys.disabled():
        print()
        result = scale_out.run(contacts=500, per_contact=10, reminder_count=10_000)
    assert result["problems"] == []


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_engine_answers_twenty_thousand_varied_messages_a_second(capsys):
    with capsys.disabled():
        print()
        result = engine.run()
    assert result["problems"] == []


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_webhook_ingest_reaches_a_quarter_of_bare_flask_and_p99_under_100_ms_at_200_a_second(capsys):
    with capsys.disabled():
        print()
        result = webhook_ingest.run()
    assert result["problems"] == []


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_hundred_replies_a_second_with_p99_under_half_a_second(capsys):
    with capsys.disabled():
        print()
        result = replies.run()
    assert result["problems"] == []


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_every_process_stays_under_seventy_mib_after_load(capsys):
    with capsys.disabled():
        print()
        result = memory.run()
    assert result["problems"] == []
