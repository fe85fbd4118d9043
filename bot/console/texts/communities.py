"""The words of the console's communities page."""
from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "communities_menu": ("Fællesskaber", "Communities"),
    "communities_title": ("Fællesskaber", "Communities"),
    "communities_none": (
        "Du arbejder ikke i nogen fællesskaber endnu. Bed IT om at give dig adgang.", "You do not work in any communities yet. Ask IT for access."
    ),
    "communities_name": ("Fællesskab", "Community"),
    "communities_when": ("Hvornår", "When"),
    "communities_next": ("Næste gang", "Next time"),
    "communities_next_none": ("Ingen planlagte gange", "Nothing planned"),
    "communities_active_members": ("Aktive medlemmer", "Active members"),
    "communities_files_problems": ("Filer med fejl", "Files with errors"),
    "communities_files_help": (
        "Disse filer kunne ikke læses, da de sidst blev gemt. Ret fejlen på den linje, der står først; Ungebot læser filen igen af sig selv.",
        "These files could not be read when they were last saved. Fix the error on the line given first; Ungebot reads the file again by itself.",
    ),
    "communities_last_good_runs": (
        "Ungebot bruger stadig den seneste udgave af filen, der virkede.",
        "Ungebot still uses the last version of the file that worked.",
    ),
    "communities_not_running": (
        "Filen bruges ikke: der er ingen tidligere udgave, der virkede.",
        "The file is not in use: there is no earlier version that worked.",
    ),
    "communities_back": ("Alle fællesskaber", "All communities"),
    "communities_place": ("Sted", "Place"),
    "communities_staff": ("Medarbejdere", "Staff"),
    "communities_nobody": ("Ingen angivet", "None given"),
    "communities_schedule": ("Mødetider", "Meeting times"),
    "communities_schedule_written": ("Sådan står det i filen {file}:", "As written in the file {file}:"),
    "communities_schedule_unreadable": (
        "Filen kan ikke læses lige nu (se fejlen ovenfor). Ungebot bruger mødetiderne fra den seneste udgave, der virkede.",
        "The file cannot be read right now (see the error above). Ungebot uses the meeting times of the last version that worked.",
    ),
    "communities_no_schedule": ("Fællesskabet har ingen faste mødetider.", "The community has no regular meeting times."),
    "communities_reminder": ("Påmindelse på dagen", "Reminder on the day"),
    "communities_reminder_time": (
        "Sendes kl. {time}, medmindre et medlem har valgt et andet tidspunkt.", "Sent at {time}, unless a member has chosen another time."
    ),
    "communities_reminder_none": ("Fællesskabet sender ingen påmindelse.", "The community sends no reminder."),
    "communities_reminder_in": ("Tekst ({which})", "Text ({which})"),
    "communities_language_da": ("dansk", "Danish"),
    "communities_language_en": ("engelsk", "English"),
    "communities_language_any": ("alle sprog", "every language"),
    "communities_next_dates": ("De næste {count} gange", "The next {count} times"),
    "communities_date": ("Dato", "Date"),
    "communities_time": ("Tid", "Time"),
    "communities_about": ("Bemærkning", "Note"),
    "communities_cancelled": ("Aflyst", "Cancelled"),
    "communities_cancelled_because": ("Aflyst: {reason}", "Cancelled: {reason}"),
    "communities_extra": ("Ekstra", "Extra"),
    "communities_booked": ("Booket tid", "Booked time"),
    "communities_members": ("Medlemmer", "Members"),
    "communities_status_active": ("Aktive", "Active"),
    "communities_status_joining": ("Ved at melde sig ind", "Joining"),
    "communities_status_left": ("Har forladt fællesskabet", "Have left"),
    "communities_status_declined": ("Sagde nej tak", "Said no thanks"),
    "communities_see_members": ("Se medlemmerne", "See the members"),
    "communities_see_attendance": ("Se fremmødet", "See the attendance"),
}
