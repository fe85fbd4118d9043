"""Twilio webhook requests for tests: the parameters Twilio POSTs and the signature it puts on them.

The signature comes from twilio's own ``RequestValidator``, so the app's check is tested against
the real algorithm (HMAC-SHA1 over the URL plus the sorted POST parameters, base64).
"""
from __future__ import annotations

from twilio.request_validator import RequestValidator

from .twilio_standin import API_VERSION, new_sid, sms_segments

DEFAULT_ACCOUNT_SID = "AC" + "0" * 31 + "1"  # the same as tests/conftest.py's ACCOUNT_SID
DEFAULT_OUR_NUMBER = "+4570000001"
DEFAULT_RECIPIENT = "+4520112233"

_COUNTRY_BY_PREFIX = [("+45", "DK"), ("+46", "SE"), ("+47", "NO"), ("+49", "DE"), ("+44", "GB"), ("+1", "US")]


def twilio_signature(auth_token: str, url: str, params: dict) -> str:
    """The ``X-Twilio-Signature`` Twilio would send when POSTing ``params`` to ``url``."""
    return RequestValidator(auth_token).compute_signature(url, params)


def _country(number: str) -> str:
    try:
        import phonenumbers

        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
        if region and region != "ZZ":
            return region
    except Exception:  # noqa: BLE001  (not E.164, or phonenumbers missing: fall back)
        pass
    return next((country for prefix, country in _COUNTRY_BY_PREFIX if number.startswith(prefix)), "")


def inbound_sms_params(
    from_: str,
    to: str,
    body: str,
    message_sid: str | None = None,
    account_sid: str = DEFAULT_ACCOUNT_SID,
    messaging_service_sid: str | None = None,
    media: list[tuple[str, str]] | None = None,
    **overrides: str,
) -> dict[str, str]:
    """What Twilio POSTs to an SMS webhook for an incoming message, in Twilio's order.

    ``media`` is a list of ``(url, content_type)`` for an MMS; ``overrides`` replace or add fields.
    Danish numbers carry no city, state or zip: Twilio sends those fields empty.
    """
    sid = message_sid or new_sid("MM" if media else "SM")
    media = media or []
    params: dict[str, str] = {
        "ToCountry": _country(to),
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": str(len(media)),
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": _country(from_),
        "To": to,
    }
    if messaging_service_sid:
        params["MessagingServiceSid"] = messaging_service_sid
    params.update(
        {
            "ToZip": "",
            "NumSegments": str(sms_segments(body)),
            "MessageSid": sid,
            "AccountSid": account_sid,
            "From": from_,
            "ApiVersion": API_VERSION,
        }
    )
    for index, (url, content_type) in enumerate(media):
        params[f"MediaContentType{index}"] = content_type
        params[f"MediaUrl{index}"] = url
    params.update(overrides)
    return params


def status_callback_params(
    message_sid: str,
    status: str,
    error_code: str | int | None = None,
    *,
    from_: str = DEFAULT_OUR_NUMBER,
    to: str = DEFAULT_RECIPIENT,
    account_sid: str = DEFAULT_ACCOUNT_SID,
    messaging_service_sid: str | None = None,
    raw_dlr_done_date: str | None = None,
    **overrides: str,
) -> dict[str, str]:
    """What Twilio POSTs to a message's StatusCallback.

    ``ErrorCode`` is sent for ``failed`` and ``undelivered`` (``30008``, "unknown error", when no
    ``error_code`` is given) and whenever ``error_code`` is given. ``raw_dlr_done_date`` is the
    carrier's YYMMDDhhmm delivery-report time Twilio passes on for delivered/undelivered SMS.
    """
    params: dict[str, str] = {}
    if error_code is not None or status in ("failed", "undelivered"):
        params["ErrorCode"] = str(error_code if error_code is not None else 30008)
    params.update(
        {
            "SmsSid": message_sid,
            "SmsStatus": status,
            "MessageStatus": status,
            "To": to,
        }
    )
    if messaging_service_sid:
        params["MessagingServiceSid"] = messaging_service_sid
    params.update({"MessageSid": message_sid, "AccountSid": account_sid, "From": from_, "ApiVersion": API_VERSION})
    if raw_dlr_done_date is not None:
        params["RawDlrDoneDate"] = raw_dlr_done_date
    params.update(overrides)
    return params
