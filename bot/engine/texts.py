"""The bot's own words for things no flow decides (opt-out, misunderstood answers).

Kept short, warm and free of jargon; Danish first, English second.
"""
from __future__ import annotations

# Where to get help now: said with every answer to words of danger (cases, mood check-ins, any message).
HELP_NOW_DA = "Livslinien 70 201 201, Børnetelefonen 116 111 (under 18). Er nogen i fare lige nu, så ring 112."
HELP_NOW_EN = "Livslinien 70 201 201, Børnetelefonen 116 111 (under 18). If anyone is in danger right now, call 112."

# Staff's note when words of danger reach the bot outside a case: why, never the young person's words.
DANGER_NOTE = (
    "{{ name or 'En ung' }} skrev ord om fare og fik numrene til Livslinien, Børnetelefonen og 112. "
    "Se beskeden i samtalen nu."
)

SYSTEM_TEXTS: dict[str, dict[str, str]] = {
    "danger_help": {
        "da": "Det du skriver lyder alvorligt, og du skal ikke stå alene med det. Ring til " + HELP_NOW_DA,
        "en": "What you write sounds serious, and you should not be alone with it. Call " + HELP_NOW_EN,
    },
    "opted_out": {
        "da": "Du får ikke flere beskeder fra os. Skriv START, hvis du vil have dem igen.",
        "en": "You won't get any more messages from us. Text START if you want them again.",
    },
    "opted_in": {
        "da": "Velkommen tilbage! Du får beskeder fra os igen. Skriv STOP for at stoppe dem.",
        "en": "Welcome back! You'll get messages from us again. Text STOP to stop them.",
    },
    "not_understood": {
        "da": "Det forstod jeg ikke helt.",
        "en": "I didn't quite get that.",
    },
    "handed_to_staff": {
        "da": "Jeg forstår dig ikke helt, så jeg har sagt det videre til en voksen her. Skriv HJÆLP for at se, hvad jeg kan.",
        "en": "I don't quite understand, so I've passed it on to a staff member. Text HELP to see what I can do.",
    },
    "passed_on": {
        "da": "Tak for din besked. Jeg har sendt den videre til en voksen her, som svarer, så snart de kan.",
        "en": "Thanks for your message. I've passed it on to an adult here, who will answer as soon as they can.",
    },
    "bot_intro": {
        "da": "Hej! Jeg er Ungebot, en chatbot – ikke et menneske. Skriv HJÆLP for at se, hvad jeg kan, eller RÅD for at spørge en rådgiver anonymt.",
        "en": "Hi! I'm Ungebot, a chatbot – not a human. Text HELP to see what I can do, or ADVICE to ask a counsellor anonymously.",
    },
    "link_ask_number": {
        "da": "Vil du også kunne få beskeder som sms? Skriv dit mobilnummer, så sender vi en kode til det.",
        "en": "Would you like messages by text too? Write your mobile number and we'll text a code to it.",
    },
    "link_code_sent": {
        "da": "Vi har sendt en kode til {{ shown }}. Skriv koden her.",
        "en": "We've texted a code to {{ shown }}. Write the code here.",
    },
    "link_code_sms": {
        "da": "Din kode til Ungebot er {code}. Har du ikke bedt om den, kan du se bort fra denne sms.",
        "en": "Your Ungebot code is {code}. If you didn't ask for it, you can ignore this text.",
    },
    "link_invalid": {
        "da": "Det ligner ikke et mobilnummer. Skriv det fx sådan: 20 12 34 56.",
        "en": "That doesn't look like a mobile number. Write it like this, for example: +45 20 12 34 56.",
    },
    "link_wrong": {
        "da": "Koden passer ikke. Prøv igen.",
        "en": "That code isn't right. Try again.",
    },
    "link_expired": {
        "da": "Koden virker ikke længere. Skriv SMS, hvis du vil prøve igen.",
        "en": "The code no longer works. Write MY NUMBER if you'd like to try again.",
    },
    "link_gave_up": {
        "da": "Det lykkedes ikke denne gang. Skriv SMS, hvis du vil prøve igen.",
        "en": "That didn't work this time. Write MY NUMBER if you'd like to try again.",
    },
    "link_linked": {
        "da": "Tak! Nu kan vi også skrive til dig på sms ({{ shown }}), fx beskeden på dagen.",
        "en": "Thanks! Now we can also text you ({{ shown }}), for example the message on the day.",
    },
    "link_known": {
        "da": "Det nummer ({{ shown }}) har vi allerede.",
        "en": "We already have that number ({{ shown }}).",
    },
    "link_refused": {
        "da": "Det nummer har bedt om ikke at få beskeder. Skriv START fra telefonen, hvis du vil have dem igen.",
        "en": "That number has asked not to get messages. Text START from the phone if you want them again.",
    },
    "checkin_not_member": {
        "da": "Du er ikke med i et fællesskab, hvor man tjekker ind. Skriv HJÆLP, hvis du vil vide, hvad du kan.",
        "en": "You're not in a community where you check in. Text HELP to see what you can do.",
    },
    "mood_paused": {
        "da": "Okay, du får ingen humør-tjek, før du skriver FORTSÆT. Du er stadig med i det hele.",
        "en": "Okay, you won't get mood check-ins until you text RESUME. You're still part of everything.",
    },
    "mood_paused_until": {
        "da": "Okay, du får ingen humør-tjek før {{ until | date('EEEE d. MMMM') }}. Skriv FORTSÆT, hvis du vil have dem før.",
        "en": "Okay, no mood check-ins before {{ until | date('EEEE d MMMM') }}. Text RESUME if you want them sooner.",
    },
    "mood_resumed": {
        "da": "Dejligt! Du får humør-tjek igen.",
        "en": "Great! You'll get mood check-ins again.",
    },
    "mood_stopped": {
        "da": "Okay, du får ikke flere humør-tjek. Du er stadig med i dit fællesskab. Skriv FORTSÆT, hvis du vil have dem igen.",
        "en": "Okay, no more mood check-ins. You're still in your community. Text RESUME if you want them again.",
    },
}

OPT_OUT_WORDS = ("STOP", "STOPP", "AFMELD", "UNSUBSCRIBE")
OPT_IN_WORDS = ("START",)
ALWAYS_ON_WORDS = OPT_OUT_WORDS + OPT_IN_WORDS


def system_text(key: str, language: str) -> str:
    texts = SYSTEM_TEXTS[key]
    return texts.get(language) or texts["da"]
