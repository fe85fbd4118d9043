"""The console's flows page: each file's check as ``ungebot flows check`` prints it (a broken file
and the last good version that keeps serving), the transcripts' results as ``ungebot flows test``
reports them, run on request in a process of their own, and the try-it chat: the live flows,
shown as an SMS or as the web chat shows them, with nothing stored, queued or sent."""
from __future__ import annotations

import html
import os
import re
import shutil
import time
import typing
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import cli
from bot.core import clock
from bot.domain import tryout
from bot.domain.staff import accounts
from bot.engine import actions
from bot.storage import models

from conftest import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER
from support.console import PASSWORD, csrf_of, sign_in

PROJECT = Path(__file__).resolve().parent.parent
HTMX = {"HX-Request": "true"}
# Another community than the staff user's (torsdag), with a transcript of its own.
ANDET = """\
community:
  name: Andet sted
  display_name: andet sted
  keyword: ANDETSTED
  place: Et andet hus
  schedule:
    - days: mandag
      time: "16:00-18:00"
  reminder:
    time: "10:00"
    text: Hej {{ name }}! Vi ses i dag kl. {{ start | time }}. Kommer du?
"""
PASSING = """\
name: Demo, en god dag
conversation:
  - user: DEMO
  - bot: Hej! Det her er en prøve. Hvad skal jeg kalde dig?
  - user: Sara
  - bot: Tak, Sara. Hvordan går din dag? ...
  - user: "1"
  - bot: Dejligt at høre, Sara!
  - bot: Det var prøven. ...
"""
FAILING = """\
name: Et forkert svar
conversation:
  - user: DEMO
  - bot: Hej med dig!
"""
# A flow whose note goes to a staff phone by SMS: a transcript run must not send it anywhere.
BESKED = """\
triggers: [BESKED]
steps:
  sig-til:
    notify: "En ung bad om en voksen (fra BESKED)."
    to: ["+4512345699"]
  svar:
    end: Vi har sagt det til en voksen.
"""
BESKED_TRANSCRIPT = """\
name: Besked til personalet
conversation:
  - user: BESKED
  - staff: En ung bad om en voksen (fra BESKED).
  - bot: Vi har sagt det til en voksen.
"""
# Tables where a real conversation leaves a trace.
TRACES = (
    models.Contact, models.ContactURN, models.InboundMessage, models.OutboundMessage, models.Conversation,
    models.StaffNotification, models.Member, models.Case, models.CaseMessage, models.Booking,
)


@pytest.fixture
def flows_folder(console, cafe) -> Path:
    """The café's folder with the demo flow, counselling, another community and transcripts,
    added once the café is running (as staff edit a live folder), read again at once."""
    folder = Path(cafe.settings.flows_dir)
    for name in ("demo.yaml", "raadgivning.yaml"):
        shutil.copy(PROJECT / "flows" / name, folder / name)
    (folder / "andet.yaml").write_text(ANDET, encoding="utf-8")
    (folder / "tests").mkdir()
    (folder / "tests" / "demo.yaml").write_text(PASSING, encoding="utf-8")
    (folder / "tests" / "forkert.yaml").write_text(FAILING, encoding="utf-8")
    (folder / "tests" / "andet.yaml").write_text(FAILING.replace("Et forkert svar", "Andet steds test"), encoding="utf-8")
    cafe.flows.check_every = 0
    assert {"demo", "torsdag", "andet"} <= set(cafe.flows.current().flows), cafe.flows.last_result.problems
    return folder


def text_of(answer) -> str:
    return html.unescape(answer.get_data(as_text=True))


def file_card(page: str, name: str) -> str:
    return next(card for card in page.split('<li class="card flow-file')[1:] if f"<h3>{name}</h3>" in card)


def traces(runtime) -> dict[str, int]:
    with runtime.db.session() as db:
        return {table.__tablename__: db.scalar(select(func.count()).select_from(table)) for table in TRACES}


# The files ----------------------------------------------------------------------------------------


def test_each_file_shows_what_flows_check_prints_and_a_broken_file_keeps_its_last_good_version(console, cafe, flows_folder):
    admin = sign_in(console, "admin")
    page = text_of(admin.get("/console/flows"))
    assert "demo.yaml" in page and "torsdag.yaml" in page and "raadgivning.yaml" in page
    assert "0 fejl" in page and "Filen bruges ikke" not in page

    demo = (flows_folder / "demo.yaml").read_text(encoding="utf-8")
    (flows_folder / "demo.yaml").write_text(demo.replace("go: godt", "go: godtt"), encoding="utf-8")
    (flows_folder / "ny.yaml").write_text("steps:\n  a:\n    send: [hej\n", encoding="utf-8")
    check = CliRunner().invoke(cli, ["flows", "check", str(flows_folder)])
    printed = [line for line in check.stderr.splitlines() if ".yaml:" in line]
    assert any(f"{flows_folder}/demo.yaml:" in line and "'godtt' does not exist" in line for line in printed), check.stderr
    assert any(line.startswith(f"{flows_folder}/ny.yaml:") for line in printed), check.stderr

    page = text_of(admin.get("/console/flows"))
    for line in printed:
        assert line in page, f"as flows check prints it: {line}"
    assert "Den sidste gode version af filen bruges stadig" in file_card(page, "demo.yaml")
    assert "Filen bruges ikke, før fejlen er rettet." in file_card(page, "ny.yaml")

    chat = sign_in(console, "staff")
    answered = text_of(chat.post("/console/flows/try", data={"text": "DEMO", "csrf_token": csrf_of(chat.get("/console/flows"))}, headers=HTMX))
    assert "Hej! Det her er en prøve." in answered, "the last good demo still serves"


def test_warnings_are_shown_as_warnings(console, cafe, flows_folder):
    long_text = "Det her er en meget lang besked. " * 12
    (flows_folder / "lang.yaml").write_text(f"triggers: [LANG]\nsteps:\n  a:\n    send: \"{long_text.strip()}\"\n", encoding="utf-8")
    page = text_of(sign_in(console, "admin").get("/console/flows"))
    assert re.search(r"lang\.yaml:4: warning: this text needs \d SMS", page), "warnings too, with file:line"
    assert "1 advarsler" in page


def test_staff_see_the_general_files_and_their_own_communities_only(console, cafe, flows_folder):
    staff = text_of(sign_in(console, "staff").get("/console/flows"))
    assert "torsdag.yaml" in staff and "demo.yaml" in staff and "raadgivning.yaml" in staff
    assert "andet.yaml" not in staff, "another community's file is not theirs"
    admin = text_of(sign_in(console, "admin").get("/console/flows"))
    assert "andet.yaml" in admin
    assert sign_in(console, "counsellor").get("/console/flows").status_code == 403


# The transcripts ----------------------------------------------------------------------------------


def run_transcripts(browser, runtime) -> str:
    token = csrf_of(browser.get("/console/flows"))
    started = text_of(browser.post("/console/flows/tests", data={"csrf_token": token}, headers=HTMX))
    assert "Samtaletestene kører" in started
    assert browser.get("/console/flows/tests", headers=HTMX).status_code == 204, "nothing new while they run"
    deadline = time.monotonic() + 120
    while runtime.redis.exists(f"{runtime.queue_prefix}:console:flows-test:running"):
        assert time.monotonic() < deadline, "the transcripts did not finish"
        time.sleep(0.2)
    return text_of(browser.get("/console/flows"))


def test_the_transcripts_run_on_request_and_a_failure_shows_the_line_and_what_the_bot_said(console, cafe, flows_folder, twilio, monkeypatch):
    (flows_folder / "besked.yaml").write_text(BESKED, encoding="utf-8")
    (flows_folder / "tests" / "besked.yaml").write_text(BESKED_TRANSCRIPT, encoding="utf-8")
    # Even with Twilio in the environment, the run sends nothing to it.
    twilio_environment = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM_NUMBER": FROM_NUMBER, "TWILIO_API_URL": twilio.url}
    for name, value in twilio_environment.items():
        monkeypatch.setitem(os.environ, name, value)
    before = traces(cafe)
    staff = sign_in(console, "staff")
    assert "Samtaletestene er ikke kørt endnu." in text_of(staff.get("/console/flows")), "never on a page load"

    page = run_transcripts(staff, cafe)
    assert "2 bestået · 1 fejlet" in page
    assert "Se de 2 beståede" in page
    assert "demo.yaml</strong>: Demo, en god dag" in page and "besked.yaml</strong>: Besked til personalet" in page
    failure = re.search(r'<pre class="transcript-failure">(.*?)</pre>', page, re.S).group(1)
    assert failure == (
        f"{flows_folder}/tests/forkert.yaml:4: the bot said:\n    Hej! Det her er en prøve. Hvad skal jeg kalde dig?\n  expected:\n    Hej med dig!"
    )
    assert "Andet steds test" not in page, "another community's transcript is not theirs"
    assert "Andet steds test" in text_of(sign_in(console, "admin").get("/console/flows"))
    assert twilio.messages == [], "no staff SMS reached the provider"
    assert traces(cafe) == before, "the live database is untouched"


def test_a_run_that_broke_says_so_and_offers_another(console, cafe, flows_folder):
    cafe.redis.set(f"{cafe.queue_prefix}:console:flows-test", '{"finished_at": "2026-11-26T08:00:00+01:00", "report": null}')
    page = text_of(sign_in(console, "staff").get("/console/flows"))
    assert "Samtaletestene kunne ikke køres." in page and "Kør samtaletestene" in page


def test_a_folder_without_transcripts_says_so_and_starts_nothing(console, cafe):
    staff = sign_in(console, "staff")
    page = text_of(staff.get("/console/flows"))
    assert "Der er ingen samtaletests" in page and "Kør samtaletestene" not in page
    started = staff.post("/console/flows/tests", data={"csrf_token": csrf_of(page)})
    assert started.status_code == 302 and started.location.endswith("/console/flows#tests")
    assert not cafe.redis.exists(f"{cafe.queue_prefix}:console:flows-test:running")


# Try it -------------------------------------------------------------------------------------------


def say(browser, text: str, *, htmx: bool = True) -> str:
    token = csrf_of(browser.get("/console/flows"))
    answer = browser.post("/console/flows/try", data={"text": text, "csrf_token": token}, headers=HTMX if htmx else {})
    return text_of(answer) if htmx else answer


def show_as(browser, channel: str) -> str:
    token = csrf_of(browser.get("/console/flows"))
    return text_of(browser.post("/console/flows/try/channel", data={"channel": channel, "csrf_token": token}, headers=HTMX))


def test_the_demo_by_sms_shows_the_numbered_list_and_stores_sends_and_queues_nothing(console, cafe, flows_folder, twilio):
    before = traces(cafe)
    staff = sign_in(console, "staff")
    first = say(staff, "DEMO")
    assert "Hej! Det her er en prøve. Hvad skal jeg kalde dig?" in first
    second = say(staff, "Sara")
    assert "Her ville Ungebot gemme «name»: Sara" in second
    assert "Tak, Sara. Hvordan går din dag?\n1 Godt\n2 Sådan midt imellem\n3 Skidt" in second, "SMS: the choices as a numbered list"
    assert 'class="try-answer"' not in second, "no buttons on SMS"
    third = say(staff, "1")
    assert "Dejligt at høre, Sara!" in third and "Det var prøven." in third
    announced = re.search(r'<div hx-swap-oob="innerHTML:#try-said">(.*)</div>', third, re.S).group(1)
    assert "Dejligt at høre, Sara!" in announced and "Hvad skal jeg kalde dig" not in announced, "only what is new is read out"
    assert traces(cafe) == before and twilio.messages == []
    assert all(queue.count == 0 for queue in cafe.queues), "nothing queued"


def test_the_demo_as_chat_shows_buttons_and_a_click_answers_and_staff_are_only_told_what_would_happen(console, cafe, flows_folder, twilio):
    before = traces(cafe)
    staff = sign_in(console, "staff")
    assert 'aria-pressed="true">Chat' in show_as(staff, "webchat")
    say(staff, "DEMO")
    question = say(staff, "Sara")
    assert "Tak, Sara. Hvordan går din dag?</p>" in question, "chat: the text as written, the choices beside it"
    labels = re.findall(r'<input type="hidden" name="text" value="([^"]+)">\s*<button type="submit" class="try-answer"', question)
    assert labels == ["Godt", "Sådan midt imellem", "Skidt"]
    worried = say(staff, "Skidt")
    assert "Øv, det er jeg ked af. Vil du have, at en voksen skriver til dig?" in worried
    assert 'class="try-answer"' not in worried, "a question without labelled answers has no buttons, in the web chat either"
    told = say(staff, "ja")
    assert "Her ville personalet få en besked i konsollen: «Sara har en skidt dag og vil gerne have, at en voksen skriver (fra DEMO).»" in told
    assert "Jeg har givet en voksen besked. Du hører fra os." in told
    assert 'class="try-answer"' not in told
    sms = show_as(staff, "sms")
    assert "Tak, Sara. Hvordan går din dag?\n1 Godt" in sms, "the same conversation, as the phone shows it"
    assert traces(cafe) == before and twilio.messages == [], "no notification row, no staff SMS"


def test_joining_a_community_and_opening_a_case_are_only_told(console, cafe, flows_folder, twilio):
    before = traces(cafe)
    staff = sign_in(console, "staff")
    say(staff, "TESTCAFE")
    say(staff, "Noah")
    joined = say(staff, "ja")
    assert "Her ville den unge blive meldt ind i caféen." in joined and "Velkommen til caféen, Noah!" in joined
    case = say(staff, "RÅD jeg har brug for hjælp")
    assert "Her ville der blive åbnet en anonym sag" in case and "Du skriver nu anonymt" not in case
    assert "Her ville beskeden gå til rådgiveren i den anonyme sag." in say(staff, "er der nogen?")
    assert "Her ville den unges anonyme sager blive slettet." in say(staff, "SLET")
    stopped = say(staff, "STOP")
    assert "Her ville den unge blive afmeldt" in stopped
    assert traces(cafe) == before and twilio.messages == []


def test_booking_a_time_is_only_told_and_the_sandbox_remembers_it(console, cafe, flows_folder, twilio):
    shutil.copy(PROJECT / "flows" / "gym.yaml", flows_folder / "gym.yaml")
    clock.set_now(clock.now().replace(day=29, hour=12))  # a Sunday, as the gym's own transcript
    before = traces(cafe)
    staff = sign_in(console, "staff")
    for text in ("GYM", "Sara", "ja"):
        joined = say(staff, text)
    assert "Her ville den unge blive meldt ind i træningen." in joined
    times = say(staff, "BOOK")
    assert "Hvilken tid vil du have til træningen?" in times and "\n2 mandag 30. nov. kl. 16:00" in times, "the real free times"
    booked = say(staff, "2")
    assert "Her ville den unge få tiden 30.11.2026 16:00 i træningen." in booked and "Så er du booket til træningen mandag 30. nov." in booked
    assert "\n1 mandag 30. nov. kl. 15:00\n2 mandag 30. nov. kl. 17:00" in say(staff, "BOOK"), "their own time is not offered again"
    assert "Vil du aflyse din tid til træningen mandag 30. nov. kl. 16:00?" in say(staff, "AFLYS")
    cancelled = say(staff, "ja")
    assert "Her ville tiden 30.11.2026 16:00 i træningen blive aflyst." in cancelled
    assert traces(cafe) == before and twilio.messages == []


def test_giving_a_number_shows_the_code_instead_of_texting_it(console, cafe, flows_folder, twilio):
    staff = sign_in(console, "staff")
    show_as(staff, "webchat")
    say(staff, "MIT NUMMER")
    sent = say(staff, "20 12 34 56")
    code = re.search(r"Her ville \+45 20 •• •• 56 få en sms med koden (\d{6})\.", sent).group(1)
    assert "Her ville nummeret +45 20 •• •• 56 blive knyttet til den unge." in say(staff, code)
    assert twilio.messages == [] and traces(cafe)["contact_urns"] == 0


def test_no_answer_skips_to_the_steps_timeout_and_start_again_clears_the_sandbox(console, cafe, flows_folder):
    staff = sign_in(console, "staff")
    say(staff, "DEMO")
    waiting = say(staff, "Sara")
    assert "Svar ikke (spring frem til" in waiting
    token = csrf_of(staff.get("/console/flows"))
    skipped = text_of(staff.post("/console/flows/try/wait", data={"csrf_token": token}, headers=HTMX))
    assert "Den unge svarer ikke. Klokken er nu 26.11.2026 09:00." in skipped and "Det var prøven." in skipped
    again = text_of(staff.post("/console/flows/try/reset", data={"csrf_token": token}, headers=HTMX))
    assert "Ingen beskeder endnu." in again and "Sara" not in again


def test_without_javascript_each_form_posts_and_the_page_shows_the_conversation(console, cafe, flows_folder):
    staff = sign_in(console, "staff")
    answer = say(staff, "DEMO", htmx=False)
    assert answer.status_code == 302 and answer.location.endswith("/console/flows#try-you")
    page = text_of(staff.get("/console/flows"))
    assert 'id="try-you"' in page and "Hvad skal jeg kalde dig?" in page
    assert "Hvad skal jeg kalde dig?" not in text_of(sign_in(console, "admin").get("/console/flows")), "the sandbox is the staff session's own"
    staff.post("/console/language", data={"language": "en", "csrf_token": csrf_of(page)})
    english = text_of(staff.get("/console/flows"))
    assert "Try the flows" in english and "The young person" in english and "3 files · 0 errors · 0 warnings" in english


def test_the_sandbox_is_kept_under_a_hash_of_the_session_only_for_an_hour(console, cafe, flows_folder):
    staff = sign_in(console, "staff")
    say(staff, "DEMO")
    keys = [key.decode() for key in cafe.redis.scan_iter(f"{cafe.queue_prefix}:console:tryout:*")]
    assert len(keys) == 1 and 0 < cafe.redis.ttl(keys[0]) <= 3600
    token = staff.get_cookie("ungebot_console").value
    assert token not in keys[0]


def test_every_engine_action_has_a_stand_in():
    assert tryout.stands_in_for() == set(typing.get_args(actions.Action))


def test_another_staff_users_sandbox_is_their_own(console, cafe, flows_folder):
    with cafe.db.session() as db:
        accounts.add_user(db, email="lars@kommune.dk", role="staff", communities=["torsdag"], password=PASSWORD, now=clock.now())
    kirsten, lars = sign_in(console, "staff"), sign_in(console, "staff", email="lars@kommune.dk")
    say(kirsten, "DEMO")
    assert "Hvad skal jeg kalde dig?" not in text_of(lars.get("/console/flows"))
