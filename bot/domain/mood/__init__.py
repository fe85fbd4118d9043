"""Mood check-ins: a question on a schedule ("Hvordan har du det i dag?"), answers on a 1-5 scale,
and a person told when someone is struggling. Settings in YAML (``mood:``), planning and sending
in ``planning``, what an answer sets off in ``answers``."""
