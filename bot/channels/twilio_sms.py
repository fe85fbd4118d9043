"""SMS through Twilio's REST API (``TWILIO_API_URL`` lets a stand-in server take Twilio's place)."""
from __future__ import annotations

from typing import ClassVar

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.channels.base import AmbiguousSendError, PermanentSendError, SendResult, TransientSendError, environment_read_once, refused_before_sending

TIMEOUT_SECONDS = 15
STATUS_CALLBACK_PATH = "/webhooks/twilio/status"


class TwilioSmsSender:
    _clients: ClassVar[dict[tuple, Client]] = {}

    def __init__(self, settings):
        self.settings = settings
        key = (settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url)
        client = self._clients.get(key)
        if client is None:
            client = Client(
                settings.twilio_account_sid,
                settings.twilio_auth_token,
                http_client=_http_client(settings.twilio_api_url),
            )
            client.api.base_url = settings.twilio_api_url
            # TWILIO_EDGE/TWILIO_REGION in the environment would rewrite the host of TWILIO_API_URL.
            client.edge = client.region = None
            self._clients[key] = client
        self.client = client

    @property
    def rate_key(self) -> str:
        """Who the per-sender rate (SEND_RATE) is counted for: the Messaging Service, else the number."""
        return "sms:" + (self.settings.twilio_messaging_service_sid or self.settings.twilio_from_number)

    def send(self, message) -> SendResult:
        params = {"to": message.to_address, "body": message.body}
        if self.settings.twilio_messaging_service_sid:
            params["messaging_service_sid"] = self.settings.twilio_messaging_service_sid
        else:
            params["from_"] = self.settings.twilio_from_number
        if self.settings.public_base_url:
            params["status_callback"] = self.settings.public_base_url + STATUS_CALLBACK_PATH
        try:
            created = self.client.messages.create(**params)
        except TwilioRestException as exc:
            code = str(exc.code or exc.status)
            if exc.status == 429 or exc.status >= 500 or exc.code == 20429:
                raise TransientSendError(code, f"HTTP {exc.status}") from None
            raise PermanentSendError(code, f"HTTP {exc.status}") from None
        except requests.exceptions.ConnectTimeout:
            raise TransientSendError("connect_timeout", "could not connect to Twilio") from None
        except requests.exceptions.ConnectionError as exc:
            if refused_before_sending(exc):
                raise TransientSendError("connection_refused", "could not connect to Twilio") from None
            raise AmbiguousSendError("connection_lost", "connection lost while Twilio had the request") from None
        except requests.exceptions.Timeout:
            raise AmbiguousSendError("read_timeout", "no answer from Twilio in time") from None
        return SendResult(provider_id=created.sid, status=created.status or "queued")


def _http_client(api_url: str) -> TwilioHttpClient:
    """Twilio's HTTP client: one keep-alive session per process, with the environment read once."""
    http_client = TwilioHttpClient(timeout=TIMEOUT_SECONDS)
    if http_client.session is not None:
        environment_read_once(http_client.session, api_url)
    return http_client
