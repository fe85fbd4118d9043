"""The words of Today: the youth worker's day, its messages, replies and arrivals."""
from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "today": ("I dag", "Today"),
    "today_tomorrow": ("I morgen", "Tomorrow"),
    "today_next_meeting": ("Næste gang: {day}", "Next time: {day}"),
    "today_choose_day": ("Vælg en dag", "Choose a day"),
    "today_show_day": ("Vis dagen", "Show the day"),
    "today_nothing": ("Ingen af dine fællesskaber mødes denne dag.", "None of your communities meets on this day."),
    "today_too_far": (
        "Den dag ligger mere end 92 dage fremme. Dagens beskeder kan forberedes op til 92 dage før.",
        "That day is more than 92 days ahead. A day's messages can be prepared up to 92 days before.",
    ),
    "today_cancelled": ("Aflyst", "Cancelled"),
    "today_no_members": ("Ingen medlemmer får besked til denne aften.", "No members get a message for this evening."),
    "today_summary": (
        "{confirmed} kommer · {late} senere · {declined} kommer ikke · {unsure} måske · {unanswered} ikke svaret · {arrived} kom",
        "{confirmed} coming · {late} late · {declined} not coming · {unsure} maybe · {unanswered} not answered · {arrived} came",
    ),
    "today_announcement": ("Dagens besked til alle", "Today's note to everyone"),
    "today_announcement_help": (
        "Én linje, som alle medlemmers besked denne dag får med, fx \"I dag kommer Sara fra jobcentret, vi laver lasagne\". Højst 300 tegn.",
        "One line every member's message that day carries, e.g. \"Sara from the job centre is coming today, we're making lasagne\". "
        "At most 300 characters.",
    ),
    "today_announcement_save": ("Gem dagens besked", "Save today's note"),
    "today_announcement_saved": ("Gemt. Alle beskeder herunder har den med.", "Saved. Every message below carries it."),
    "today_announcement_from_file": ("Fra fællesskabets fil.", "From the community's file."),
    "today_personal_line": ("Din personlige linje til {name}", "Your personal line to {name}"),
    "today_personal_line_help": (
        "Sendes, som du skriver den, under beskeden. Gemmes mens du skriver.", "Sent as you write it, under the message. Saved as you type."
    ),
    "today_save": ("Gem", "Save"),
    "today_saved": ("Gemt", "Saved"),
    "today_preview": ("Det får {name}", "What {name} gets"),
    "today_lock_screen": ("På låseskærmen", "On the lock screen"),
    "today_segments": ("{count} sms ({characters} tegn)", "{count} SMS ({characters} characters)"),
    "today_no_preview": (
        "Fællesskabet findes ikke længere i filerne, så beskeden sendes ikke.",
        "The community is no longer in the files, so the message will not be sent.",
    ),
    "today_skip": ("Spring over i dag", "Skip for today"),
    "today_unskip": ("Send alligevel", "Send after all"),
    "today_arrived": ("Kom", "Came"),
    "today_mark_arrived": ("Markér at {name} kom", "Mark that {name} came"),
    "today_undo_arrived": ("Fortryd", "Undo"),
    "today_status_planned": ("Sendes kl. {time}", "Goes at {time}"),
    "today_status_queued": ("Sendes nu", "Being sent"),
    "today_status_sent": ("Sendt kl. {time}", "Sent at {time}"),
    "today_status_skipped": ("Springes over", "Skipped"),
    "today_status_cancelled": ("Sendes ikke (aflyst, meldt ud eller STOP)", "Not sent (cancelled, left or STOP)"),
    "today_status_missed": ("Nåede ikke at blive sendt", "Its moment passed"),
    "today_opted_out": ("Har skrevet STOP og får ingen beskeder.", "Has texted STOP and gets no messages."),
    "today_reply_confirmed": ("✓ Kommer", "✓ Coming"),
    "today_reply_late": ("◷ Kommer senere", "◷ Coming later"),
    "today_reply_declined": ("✗ Kommer ikke", "✗ Not coming"),
    "today_reply_unsure": ("? Måske", "? Maybe"),
    "today_reply_none": ("… Ikke svaret", "… Not answered"),
    "today_reply_not_sent": ("Ikke sendt endnu", "Not sent yet"),
    "today_reply_live": ("Svarene kommer ind af sig selv.", "Replies appear by themselves."),
    "today_exposing": (
        "Pas på: \"{word}\" kan ses på en låseskærm og afsløre, hvad den unge går til.",
        "Careful: \"{word}\" can show on a lock screen and give away what the young person comes to.",
    ),
    "today_refused_not_planned": (
        "Beskeden er allerede sendt eller på vej, så den kan ikke ændres.", "The message is sent or on its way, so it cannot be changed."
    ),
    "today_refused_not_skipped": ("Beskeden er ikke sprunget over.", "The message is not skipped."),
    "today_refused_too_late": ("For sent: aftenen begynder om lidt eller er begyndt.", "Too late: the evening starts soon or has started."),
    "today_refused_event_cancelled": ("Aftenen er aflyst.", "The evening is cancelled."),
    "today_refused_event_started": ("Aftenen er begyndt, så dagens besked kan ikke ændres.", "The evening has started, so today's note cannot be changed."),
    "today_refused_too_long": ("For lang: højst 300 tegn.", "Too long: at most 300 characters."),
    "today_refused_control_characters": ("Teksten har tegn, der ikke kan sendes.", "The text has characters that cannot be sent."),
}
