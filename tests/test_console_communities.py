"""The console's communities pages: the viewer's communities with their members and next meeting,
a community file that fails to load shown as file:line (and to whom), one community's schedule as
staff wrote it with its next eight dates, and staff of another community refused."""
from __future__ import annotations

import html
import re

from bot.core import clock
from bot.domain.communities import members
from bot.domain.staff import accounts
from bot.storage.models import Member

from support.console import PASSWORD, sign_in
from support.staff_api import CAFE, FREJA, IDA, OLIVER, join

ELSEWHERE = "lars@kommune.dk"
CHRISTMAS = """  # Julen
  cancelled:
    - {date: 2026-11-26, reason: Personalemøde}
    - {date: 2026-12-24, reason: Juleaften}
  extra:
    - {date: 2026-12-19, time: "14:00-17:00", note: Julehygge}
"""


def text_of(answer) -> str:
    """The page as a reader sees it: tags gone, entities read, spaces squeezed."""
    assert answer.status_code == 200, answer.status_code
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", answer.get_data(as_text=True))))


def edit_cafe(runtime, flows_dir, change) -> None:
    """Save the café's file changed, and have the running app read it at once."""
    path = flows_dir / f"{CAFE}.yaml"
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    runtime.flows.check_every = 0


def staff_elsewhere(console, cafe):
    with cafe.db.session() as db:
        accounts.add_user(db, email=ELSEWHERE, role="staff", communities=["andet"], password=PASSWORD, now=clock.now())
    return sign_in(console, "staff", email=ELSEWHERE)


def test_the_list_shows_each_community_with_its_active_members_and_next_meeting(console, cafe):
    join(cafe, FREJA, "Freja")
    join(cafe, OLIVER, "Oliver")
    left = join(cafe, IDA, "Ida")
    with cafe.db.session() as db:
        members.leave(db, db.get(Member, left), clock.now())
    page = text_of(sign_in(console, "staff").get("/console/communities"))
    assert "Testcaféen" in page and "torsdage kl. 16:00-21:00" in page
    assert "Næste gang torsdag 26. november, 16:00–21:00" in page, "tonight, from the schedule"
    assert "Aktive medlemmer 2" in page, "Ida has left"
    assert 'href="/console/communities/torsdag"' in sign_in(console, "admin").get("/console/communities").get_data(as_text=True)
    assert "Testcaféen" not in text_of(staff_elsewhere(console, cafe).get("/console/communities")), "not theirs"


def test_one_community_with_its_schedule_as_written_and_its_next_eight_dates(console, cafe, cafe_flows_dir):
    join(cafe, FREJA, "Freja")
    edit_cafe(cafe, cafe_flows_dir, lambda source: source.replace("  reminder:", CHRISTMAS + "  reminder:"))
    answer = sign_in(console, "staff").get(f"/console/communities/{CAFE}")
    pre = html.unescape(re.search(r'<pre class="communities-yaml"[^>]*>(.*?)</pre>', answer.get_data(as_text=True), re.S).group(1))
    assert pre == (
        "schedule:\n  - days: torsdag\n    time: \"16:00-21:00\"\n# Julen\ncancelled:\n  - {date: 2026-11-26, reason: Personalemøde}\n"
        "  - {date: 2026-12-24, reason: Juleaften}\nextra:\n  - {date: 2026-12-19, time: \"14:00-17:00\", note: Julehygge}"
    ), "as staff wrote it, comment and all, and nothing else of the file"
    page = text_of(answer)
    assert "torsdage kl. 16:00-21:00; aflyst 26.11.2026 (Personalemøde), 24.12.2026 (Juleaften); ekstra 19.12.2026 kl. 14:00-17:00 (Julehygge)" in page
    row_pattern = r'<tr( class="communities-cancelled")?>\s*<th scope="row">([^<]+)</th>\s*<td>([^<]+)</td>\s*<td>(.*?)</td>'
    dates = re.findall(row_pattern, answer.get_data(as_text=True), re.S)
    rows = [(day, hours, bool(cancelled), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", about)).strip()) for cancelled, day, hours, about in dates]
    assert rows == [
        ("torsdag 26. november", "16:00–21:00", True, "Aflyst Personalemøde"),
        ("torsdag 3. december", "16:00–21:00", False, ""),
        ("torsdag 10. december", "16:00–21:00", False, ""),
        ("torsdag 17. december", "16:00–21:00", False, ""),
        ("lørdag 19. december", "14:00–17:00", False, "Ekstra Julehygge"),
        ("torsdag 24. december", "16:00–21:00", True, "Aflyst Juleaften"),
        ("torsdag 31. december", "16:00–21:00", False, ""),
        ("torsdag 7. januar", "16:00–21:00", False, ""),
    ]
    assert "De næste 8 gange" in page
    assert "Sted Huset" in page and "Medarbejdere Ali" in page and "+4512345602" not in answer.get_data(as_text=True), "no staff phone numbers"
    assert "Sendes kl. 10:00" in page and "Hej {{ name }}! Caféen har åbent i dag kl. {{ start | time }}. Kommer du?" in page
    assert "Aktive 1" in page and "Har forladt fællesskabet 0" in page


def test_in_english_the_schedule_is_described_in_english(console, cafe):
    browser = sign_in(console, "staff")
    browser.set_cookie("console_language", "en")
    page = text_of(browser.get(f"/console/communities/{CAFE}"))
    assert "Thursdays 16:00-21:00" in page and "The next 8 times" in page and "Thursday 26 November" in page


def test_a_community_file_that_fails_to_load_is_shown_with_its_file_and_line_and_the_last_good_version_runs(console, cafe, cafe_flows_dir):
    edit_cafe(cafe, cafe_flows_dir, lambda source: source.replace("days: torsdag", "days: torsdagg"))
    (cafe_flows_dir / "andet.yaml").write_text("community:\n  name: Andet\n  display_name: andet\n  keyword: ANDET\n  nonsense: 1\n", encoding="utf-8")
    (cafe_flows_dir / "hej.yaml").write_text("triggers: [HEJ]\nsteps:\n  start:\n    say: Hej\n", encoding="utf-8")
    staff = sign_in(console, "staff")
    page = text_of(staff.get("/console/communities"))
    assert "Filer med fejl" in page
    assert "torsdag.yaml:10: 'days': 'torsdagg' is not a weekday (did you mean 'torsdag'?)" in page
    assert "Ungebot bruger stadig den seneste udgave af filen, der virkede." in page
    assert "hej.yaml:3: step 'start' does nothing" in page, "a flow every community shares"
    assert "andet.yaml" not in page, "another community's file is not theirs"
    assert "Testcaféen" in page, "the last good version still serves"
    assert str(cafe_flows_dir) not in staff.get("/console/communities").get_data(as_text=True), "the file's name, not where the server keeps it"

    admin = text_of(sign_in(console, "admin").get("/console/communities"))
    assert "andet.yaml:5: unknown key 'nonsense'" in admin and "Filen bruges ikke: der er ingen tidligere udgave, der virkede." in admin

    detail = staff.get(f"/console/communities/{CAFE}")
    assert "torsdag.yaml:10:" in text_of(detail) and "hej.yaml" not in text_of(detail), "only its own file's errors"
    assert "days: torsdagg" in html.unescape(detail.get_data(as_text=True)), "the schedule as it is written now, mistake and all"

    edit_cafe(cafe, cafe_flows_dir, lambda source: source.replace('time: "16:00-21:00"', 'time: "16:00-21:00'))
    broken = text_of(staff.get(f"/console/communities/{CAFE}"))
    assert re.search(r"torsdag\.yaml:\d+: YAML syntax: ", broken), "as ungebot flows check says it"
    assert "Filen kan ikke læses lige nu" in broken and "torsdage kl. 16:00-21:00" in broken, "the running version's times"


def test_staff_of_another_community_are_refused_and_an_unknown_one_is_not_found(console, cafe):
    elsewhere = staff_elsewhere(console, cafe)
    assert elsewhere.get(f"/console/communities/{CAFE}").status_code == 403
    assert sign_in(console, "staff").get("/console/communities/nowhere").status_code == 404
    assert sign_in(console, "counsellor").get("/console/communities").status_code == 403
