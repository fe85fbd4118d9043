"""The words of the console's flows page: the files' check, the transcripts, and the try-it chat."""
from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "flows": ("Flows", "Flows"),
    "flows_intro": (
        "Her kan du se, om flow- og fællesskabsfilerne er i orden, om samtaletestene består, og du kan selv prøve flowene af.",
        "Here you can see whether the flow and community files are in order and whether the transcripts pass, and try the flows yourself.",
    ),
    "flows_jump_to_try": ("Gå til Prøv flowene", "Go to Try the flows"),
    # The files, as `ungebot flows check` reports them
    "flows_files": ("Filerne", "The files"),
    "flows_files_summary": ("{count} filer · {errors} fejl · {warnings} advarsler", "{count} files · {errors} errors · {warnings} warnings"),
    "flows_files_how": (
        "Fejlene står, som kommandoen ungebot flows check skriver dem: fil:linje: hvad der er galt.",
        "The problems are shown as the command ungebot flows check prints them: file:line: what is wrong.",
    ),
    "flows_files_none": ("Der er ingen filer i mappen med flows.", "There are no files in the flows folder."),
    "flows_kind_flow": ("Flow", "Flow"),
    "flows_kind_community": ("Fællesskab", "Community"),
    "flows_kind_counselling": ("Rådgivning", "Counselling"),
    "flows_kind_mood": ("Humørtjek", "Mood check-in"),
    "flows_kind_unknown": ("Kan ikke læses", "Cannot be read"),
    "flows_file_ok": ("I orden", "OK"),
    "flows_file_errors": ("{count} fejl", "{count} error(s)"),
    "flows_file_warnings": ("{count} advarsler", "{count} warning(s)"),
    "flows_serving_last_good": (
        "Den sidste gode version af filen bruges stadig, indtil fejlen er rettet.",
        "The last good version of the file is still in use until the error is fixed.",
    ),
    "flows_serving_none": ("Filen bruges ikke, før fejlen er rettet.", "The file is not in use until the error is fixed."),
    # The transcripts, as `ungebot flows test` reports them
    "flows_tests": ("Samtaletests", "Transcripts"),
    "flows_tests_help": (
        "Samtaletestene (mappen tests) kører mod en tom prøvedatabase: ingen rigtige unge, og intet bliver sendt.",
        "The transcripts (the tests folder) run against an empty trial database: no real young people, and nothing is sent.",
    ),
    "flows_tests_run": ("Kør samtaletestene", "Run the transcripts"),
    "flows_tests_run_again": ("Kør dem igen", "Run them again"),
    "flows_tests_running": ("Samtaletestene kører … Det tager som regel under et minut.", "The transcripts are running … It usually takes under a minute."),
    "flows_tests_refresh": ("Se, om de er færdige", "See whether they have finished"),
    "flows_tests_never": ("Samtaletestene er ikke kørt endnu.", "The transcripts have not been run yet."),
    "flows_tests_missing": ("Der er ingen samtaletests: mappen {folder} findes ikke.", "There are no transcripts: the folder {folder} does not exist."),
    "flows_tests_broke": (
        "Samtaletestene kunne ikke køres. Prøv igen, eller bed IT køre ungebot flows test.",
        "The transcripts could not be run. Try again, or ask IT to run ungebot flows test.",
    ),
    "flows_tests_summary": ("{passed} bestået · {failed} fejlet", "{passed} passed · {failed} failed"),
    "flows_tests_when": ("Kørt {when}", "Run {when}"),
    "flows_tests_flow_problems": ("Flowene, der blev testet, har fejl:", "The flows tested have errors:"),
    "flows_tests_show_passed": ("Se de {count} beståede", "See the {count} that passed"),
    "flows_test_passed": ("Bestået", "Passed"),
    "flows_test_failed": ("Fejlet", "Failed"),
    "flows_test_unreadable": ("Filen kan ikke læses", "The file cannot be read"),
    # Try it
    "flows_try": ("Prøv flowene", "Try the flows"),
    "flows_try_help": (
        "Skriv, som en ung ville, fx DEMO. Botten svarer med de flows, den bruger lige nu, men intet bliver sendt, og ingen rigtige data "
        "ændres: hvor noget ville ske, står det i en grå boks.",
        "Write as a young person would, for example DEMO. The bot answers with the flows it uses right now, but nothing is sent and no real "
        "data changes: where something would happen, a grey box says so.",
    ),
    "flows_try_show_as": ("Vis som", "Show as"),
    "flows_try_channel_sms": ("Sms", "SMS"),
    "flows_try_channel_webchat": ("Chat", "Chat"),
    "flows_try_you": ("Den unge", "The young person"),
    "flows_try_bot": ("Ungebot", "Ungebot"),
    "flows_try_would": ("Ville ske", "Would happen"),
    "flows_try_empty": ("Ingen beskeder endnu. Skriv DEMO for at prøve.", "No messages yet. Write DEMO to try it."),
    "flows_try_conversation": ("Samtalen", "The conversation"),
    "flows_try_message": ("Den unges besked", "The young person's message"),
    "flows_try_send": ("Send", "Send"),
    "flows_try_answers": ("Svar med et tryk", "Answer with a tap"),
    "flows_try_wait": ("Svar ikke (spring frem til {when})", "Do not answer (skip to {when})"),
    "flows_try_reset": ("Start forfra", "Start again"),
    # What would have happened, where the real bot does something
    "flows_effect_saved": ("Her ville Ungebot gemme «{field}»: {value}", "Here Ungebot would save “{field}”: {value}"),
    "flows_effect_notify": ("Her ville personalet få en besked i konsollen: «{text}»", "Here staff would get a notification in the console: “{text}”"),
    "flows_effect_notify_by_sms": (
        "Her ville personalet få en besked i konsollen og på sms til {phones} telefon(er): «{text}»",
        "Here staff would get a notification in the console and by SMS to {phones} phone(s): “{text}”",
    ),
    "flows_effect_opted_out": (
        "Her ville den unge blive afmeldt: Ungebot skriver ikke mere, før de skriver START.",
        "Here the young person would be opted out: Ungebot writes no more until they write START.",
    ),
    "flows_effect_opted_in": ("Her ville den unge blive tilmeldt igen.", "Here the young person would be opted in again."),
    "flows_effect_joined": ("Her ville den unge blive meldt ind i {community}.", "Here the young person would join {community}."),
    "flows_effect_attendance": ("Her ville svaret «{reply}» blive skrevet som fremmøde.", "Here the answer “{reply}” would be recorded as attendance."),
    "flows_effect_checked_in": (
        "Her ville den unge blive tjekket ind, hvis et af deres fællesskaber har åbent nu.",
        "Here the young person would be checked in, if one of their communities is open now.",
    ),
    "flows_effect_mood": ("Her ville humørsvaret {score} blive gemt, og den unge få svar.", "Here the mood answer {score} would be saved and answered."),
    "flows_effect_mood_note": (
        "Her ville det, den unge skrev om sit humør, blive gemt til personalet.",
        "Here what the young person wrote about their mood would be kept for staff.",
    ),
    "flows_effect_checkins_paused": ("Her ville humørtjek holde pause til {when}.", "Here mood check-ins would pause until {when}."),
    "flows_effect_checkins_stopped": (
        "Her ville humørtjek stoppe, til den unge selv starter dem igen.",
        "Here mood check-ins would stop until the young person starts them again.",
    ),
    "flows_effect_checkins_resumed": ("Her ville humørtjek starte igen.", "Here mood check-ins would start again."),
    "flows_effect_booked": ("Her ville den unge få tiden {when} i {community}.", "Here the young person would get the time {when} at {community}."),
    "flows_effect_moved": (
        "Her ville den unges tid blive flyttet til {when} i {community}.", "Here the young person's time would move to {when} at {community}.",
    ),
    "flows_effect_cancelled": ("Her ville tiden {when} i {community} blive aflyst.", "Here the time {when} at {community} would be cancelled."),
    "flows_effect_link_code": ("Her ville {number} få en sms med koden {code}.", "Here {number} would get an SMS with the code {code}."),
    "flows_effect_linked": ("Her ville nummeret {number} blive knyttet til den unge.", "Here the number {number} would be linked to the young person."),
    "flows_effect_case_opened": (
        "Her ville der blive åbnet en anonym sag, som en rådgiver svarer på i indbakken. Rådgivningen kan ikke prøves her.",
        "Here an anonymous case would be opened, for a counsellor to answer in the inbox. Counselling cannot be tried here.",
    ),
    "flows_effect_case_message": (
        "Her ville beskeden gå til rådgiveren i den anonyme sag.", "Here the message would go to the counsellor in the anonymous case.",
    ),
    "flows_effect_case_deleted": ("Her ville den unges anonyme sager blive slettet.", "Here the young person's anonymous cases would be deleted."),
    "flows_effect_waited": ("Den unge svarer ikke. Klokken er nu {when}.", "The young person does not answer. It is now {when}."),
}
