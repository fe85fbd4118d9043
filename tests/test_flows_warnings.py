"""What ``flows check`` tells a youth worker before a young person finds out, held against what
the bot really does: an answer without ``go:`` that lands on another answer's step, a keyword
that takes an answer away from its question, and YAML mistakes said in plain words.

The exact lines each fixture folder prints are in its ``expected.txt`` (tests/test_flows_check.py);
here the warnings are shown to be true by running the engine on the same files.
"""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import engine
from bot.engine import actions
from bot.flows.check import file_checks
from bot.flows.loader import load_flows
from bot.transcripts import TranscriptError, load_transcripts

FIXTURES = Path(__file__).parent / "fixtures" / "flows_check"
ZONE = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)


def conversation(folder: Path, *messages: str) -> list[list[str]]:
    """What the bot says to each message, one young person writing them in turn."""
    flows = load_flows(folder).flowset
    state, answers = None, []
    for message in messages:
        outcome = engine.handle(flows, actions.ContactView(), state, actions.IncomingText(message), NOW, ZONE)
        answers.append([action.text for action in outcome.actions if isinstance(action, actions.SendText)])
        state = outcome.state
    return answers


def warnings_in(folder: Path, name: str) -> list[str]:
    return [f"{problem.line}: {problem.message}" for problem in load_flows(folder).warnings if Path(problem.path).name == name]


# -- an answer without go: -------------------------------------------------------------------------


def test_an_answer_warned_about_gets_the_other_answers_step():
    folder = FIXTURES / "fall_through"
    assert conversation(folder, "aften", "nej")[1] == ["Fedt, vi ses!"], "what the warning says happens"
    assert warnings_in(folder, "aften.yaml") == [
        "8: the answer 'nej' has no go:, so the bot goes on to the next step, 'fedt' (where 'ja' goes) and says \"Fedt, vi ses!\"; "
        "add go: to say where 'nej' should go",
        "9: the answer 'måske' has no go:, so the bot goes on to the next step, 'fedt' (where 'ja' goes) and says \"Fedt, vi ses!\"; "
        "add go: to say where 'måske' should go",
    ]


def test_answers_that_go_on_as_meant_are_not_warned_about():
    # "ja" goes on to the next question while "nej" goes elsewhere; answers that are only saved;
    # a step with its own go:; the last step: each goes where its author meant.
    folder = FIXTURES / "fall_through"
    answers = conversation(folder, "turdag", "ja", "lørdag", "nej")
    assert answers[1] == ["Hvilken dag passer dig?"]
    assert answers[2] == ["Skal vi minde dig om det dagen før?"]
    assert answers[3] == ["Tak! Vi ses på tur."], "the step's own go: slut"
    assert warnings_in(folder, "tur.yaml") == []


def test_the_flows_page_shows_the_warning_with_its_file():
    checks = {check.name: check for check in file_checks(load_flows(FIXTURES / "fall_through"))}
    assert [problem.line for problem in checks["aften"].warnings] == [8, 9] and checks["aften"].errors == ()
    assert checks["tur"].problems == ()


# -- a keyword that takes an answer -----------------------------------------------------------------


def test_a_typo_of_a_keyword_never_takes_a_common_answer_but_the_keyword_itself_does():
    folder = FIXTURES / "answers_caught"
    assert conversation(folder, "weekend", "good")[1] != ["Tonight we cook pasta together at 18."], "'good' is an answer, not FOOD"
    assert not conversation(folder, "weekend", "tak")[1][0].startswith("Hej! Du er ved at melde dig til dansen."), "'tak' is not TAKT"
    assert warnings_in(folder, "mad.yaml") == [] and warnings_in(folder, "takt.yaml") == []
    assert warnings_in(folder, "okay.yaml") == [
        "2: keyword 'OK' also catches 'ok', a common yes: a young person who answers a question "
        "with 'ok' would start this conversation instead; choose a keyword nobody answers with"
    ]


def test_a_keyword_that_takes_an_answer_written_in_another_flow_names_both_places():
    folder = FIXTURES / "answers_caught"
    assert conversation(folder, "weekend", "biograf")[1] == ["Biografklubben ser film hver anden tirsdag."]
    assert conversation(folder, "weekend", "bowle")[1] == ["Vi tager til bowling søndag kl. 14."], "no keyword near it"
    assert warnings_in(folder, "biografen.yaml") == [
        "1: keyword 'BIOGRAFEN' also catches 'biograf', an answer in weekend.yaml:7: a young person who answers that question "
        "with 'biograf' would start this conversation instead; choose another keyword"
    ]
    assert warnings_in(folder, "weekend.yaml") == []


def test_two_keywords_a_typo_apart_name_both_files_and_lines():
    assert warnings_in(FIXTURES / "duplicates", "klatrer.yaml") == [
        "1: keyword 'KLATRER' is one typo from 'KLATRE' in klatre.yaml:1: a message with a typo could start the wrong one; "
        "choose keywords further apart"
    ]


# -- YAML mistakes in plain words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, expected",
    [
        (
            "triggers: [A]\nsteps:\n  s:\n    ask: Hej\n   save: x\n",
            "5: YAML syntax: this line is indented 3 spaces; the lines above use 2 ('s:' on line 3) or 4 ('ask:' on line 4)",
        ),
        (
            "triggers: [A]\nsteps:\n  s:\n    ask: Hej\n      save: x\n",
            "5: YAML syntax: this line is indented 6 spaces; the lines above use 4 ('ask:' on line 4)",
        ),
        ("triggers: [A]\n steps:\n  s:\n    end: Hej\n", "2: YAML syntax: this line is indented 1 space; the lines above use 0 ('triggers:' on line 1)"),
        (
            "triggers: [A]\nsteps:\n  s:\n    end: >-\n      Hej med\n      dig\n   t:\n    end: x\n",
            "7: YAML syntax: this line is indented 3 spaces; the lines above use 2 ('s:' on line 3) or 4 ('end:' on line 4)",
        ),
        (
            "community:\n  staff:\n    - name: Ali\n     phone: x\n",
            "4: YAML syntax: this line is indented 5 spaces; the lines above use 4 ('- name:' on line 3) or 6 ('name:' on line 3)",
        ),
        (
            "triggers: [A]\nsteps:\n  s:\n  \tsend: Hej\n",
            "4: YAML syntax: this line is indented with a tab; YAML only allows spaces: indent it with spaces like the lines above",
        ),
        (
            "triggers: [A]\nsteps:\n  s:\n    send:\tHej\n",
            "4: YAML syntax: there is a tab after 'send:'; YAML only allows spaces there: replace the tab with a space",
        ),
        ("triggers:[A]\nsteps:\n  s:\n    end: Hej\n", "1: YAML syntax: a space is missing after the colon in 'triggers:[A]': write 'triggers: [A]'"),
        (
            "triggers: [A]\nsteps:\n  s:\n    ask: Hej\n    save:x\n    timeout: 1h\n",
            "5: YAML syntax: a space is missing after the colon in 'save:x': write 'save: x'",
        ),
        ("triggers: [A]\nsteps:\n  s:\n    send:Hej\n", "4: YAML syntax: a space is missing after the colon in 'send:Hej': write 'send: Hej'"),
        (
            "triggers: [A]\nsteps:\n  s:\n    ask: Hej\n    answers:\n      ja:{ go: s }\n",
            "6: YAML syntax: a space is missing after the colon in 'ja:{ go': write 'ja: { go'",
        ),
        (
            'triggers: [A]\nsteps:\n  s:\n    end: Husk: "kl. 17"\n',
            "4: YAML syntax: a colon followed by a space starts a new key in YAML, so this text needs quotes: end: 'Husk: \"kl. 17\"'",
        ),
        (
            "triggers: [A]\nsteps:\n  s:\n    end: {{ name }}\n",
            '4: YAML syntax: a text that starts with {{ must be in quotes: end: "{{ name }}"',
        ),
        # Other mistakes keep their words: a link is not a key without its space, nor a line in its place one.
        ("triggers: [A]\nsteps:\n  s:\n    end: *nope\n", "4: YAML syntax: found undefined alias 'nope'"),
        ('triggers: [A]\nsteps:\n  s:\n    end: "Hej\n', "4: YAML syntax: a quoted text is never closed"),
        ("triggers: [A]\nsteps:\n  s:\n    go: https://example.com\n", "4: step 'https://example.com' does not exist in this flow"),
    ],
    ids=[
        "between-two-levels", "deeper-than-the-line-above", "top-level-key", "after-a-block-text", "in-a-list-item",
        "tab-indent", "tab-after-colon", "no-space-then-a-key", "no-space-then-a-line", "no-space-last-line", "no-space-in-a-key",
        "colon-in-text", "template-first", "undefined-alias", "unclosed-quote", "a-link",
    ],
)
def test_yaml_mistakes_are_told_in_plain_words(tmp_path, source, expected):
    (tmp_path / "x.yaml").write_text(source, encoding="utf-8")
    assert [f"{problem.line}: {problem.message}" for problem in load_flows(tmp_path).errors] == [expected]


def test_a_transcript_with_a_yaml_mistake_is_told_the_same_way(tmp_path):
    path = tmp_path / "test.yaml"
    path.write_text("transcripts:\n  - name: Hej\n    conversation:\n      - user: hej\n     - bot: Hej!\n", encoding="utf-8")
    with pytest.raises(TranscriptError) as raised:
        load_transcripts(path)
    assert str(raised.value) == (
        f"{path}:5: YAML syntax: this line is indented 5 spaces; the lines above use 4 ('conversation:' on line 3) or 6 ('- user:' on line 4)"
    )
