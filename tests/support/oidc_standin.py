"""A stand-in for an OpenID Connect issuer (a municipality's Microsoft Entra ID, say): real HTTP
on 127.0.0.1, the authorization code flow with PKCE as the console uses it.

``OidcStandin`` is the issuer ``url`` and serves:

    GET  /.well-known/openid-configuration   discovery
    GET  /jwks                                its public key (RSA, made at start)
    GET  /authorize                           "signs in" whoever the test scripted with ``sign_in_as``
                                              and redirects straight back with a code (or an error)
    POST /token                               the code for tokens, with an RS256 ID token

What a real issuer would refuse is refused the same way (RFC 6749's error JSON, an authorize
request without PKCE or a nonce) and appended to ``.violations``, so a test can
``assert standin.violations == []``: the client id, the secret (HTTP Basic or in the form), the
redirect URI, the code (once, for the client it was given to) and the PKCE verifier.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.wrappers import Request, Response

from .local_server import ProviderStandin

__all__ = ["OidcStandin", "Person"]

SCOPE = {"openid", "email", "profile"}
ID_TOKEN_LIFETIME = 3600


@dataclass(frozen=True)
class Person:
    """Who signs in at the issuer: ``roles`` are the app roles IT gave them there, ``amr`` how they
    proved who they are ("pwd", "mfa")."""

    sub: str
    email: str
    roles: tuple[str, ...] = ()
    amr: tuple[str, ...] = ("pwd",)
    email_claim: str = "email"  # Entra ID, unless the tenant adds "email", says preferred_username


@dataclass
class _Grant:
    person: Person
    client_id: str
    redirect_uri: str
    nonce: str
    code_challenge: str


class OidcStandin(ProviderStandin):
    def __init__(self, client_id: str, client_secret: str):
        super().__init__(name="OpenID Connect stand-in")
        self.client_id = client_id
        self.client_secret = client_secret
        self._key = RSAKey.generate_key(2048, parameters={"kid": "standin-1", "use": "sig", "alg": "RS256"})
        self._person: Person | None = None
        self._refusal: str | None = None
        self._stray_key_next = False
        self._grants: dict[str, _Grant] = {}

    def sign_in_as(self, person: Person) -> None:
        """The person at the issuer's sign-in page from now on."""
        with self._lock:
            self._person, self._refusal = person, None

    def refuse_next(self, error: str = "access_denied") -> None:
        """The next authorization ends with ``error`` (the person said no, or may not use the app)."""
        with self._lock:
            self._refusal = error

    def sign_next_id_token_with_a_stray_key(self) -> None:
        """The next ID token is signed with a key the issuer does not publish: a forgery."""
        with self._lock:
            self._stray_key_next = True

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self._person, self._refusal, self._stray_key_next = None, None, False
            self._grants.clear()

    def _handle(self, request: Request) -> Response:
        with self._lock:
            self._requests.append({"method": request.method, "path": request.path})
        route = (request.method, request.path)
        if route == ("GET", "/.well-known/openid-configuration"):
            return _json(self._discovery())
        if route == ("GET", "/jwks"):
            return _json(KeySet([self._key]).as_dict(private=False))
        if route == ("GET", "/authorize"):
            return self._authorize(request)
        if route == ("POST", "/token"):
            return self._token(request)
        return _json({"error": "not_found"}, 404)

    def _crashed(self) -> Response:
        return _json({"error": "server_error"}, 500)

    def _discovery(self) -> dict:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": sorted(SCOPE),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }

    def _authorize(self, request: Request) -> Response:
        asked = request.args
        wrong = [
            problem
            for problem, found in (
                ("response_type is not code", asked.get("response_type") == "code"),
                ("an unknown client_id", asked.get("client_id") == self.client_id),
                ("no redirect_uri", bool(asked.get("redirect_uri"))),
                (f"the scope is not {' '.join(sorted(SCOPE))}", set(asked.get("scope", "").split()) == SCOPE),
                ("no state", bool(asked.get("state"))),
                ("no nonce", bool(asked.get("nonce"))),
                ("no PKCE with S256", asked.get("code_challenge_method") == "S256" and bool(asked.get("code_challenge"))),
            )
            if not found
        ]
        if wrong:
            self._violate(None, f"/authorize: {', '.join(wrong)}")
            return _json({"error": "invalid_request", "error_description": ", ".join(wrong)}, 400)
        back = {"state": asked["state"]}
        with self._lock:
            person, refusal, self._refusal = self._person, self._refusal, None
            if person is None:
                raise RuntimeError("no one signs in: call sign_in_as first")
            if refusal is None:
                code = secrets.token_urlsafe(24)
                self._grants[code] = _Grant(person, asked["client_id"], asked["redirect_uri"], asked["nonce"], asked["code_challenge"])
                back["code"] = code
            else:
                back["error"] = refusal
        return Response(status=302, headers={"Location": f"{asked['redirect_uri']}?{urlencode(back)}"})

    def _token(self, request: Request) -> Response:
        form = request.form
        client_id, client_secret = self._client_of(request)
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            self._violate(None, "/token: a wrong client id or secret")
            return _json({"error": "invalid_client"}, 401)
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)
            stray_key, self._stray_key_next = self._stray_key_next, False
        verifier = form.get("code_verifier", "")
        wrong = [
            problem
            for problem, found in (
                ("grant_type is not authorization_code", form.get("grant_type") == "authorization_code"),
                ("an unknown or used code", grant is not None),
                ("a code given to another client", grant is not None and grant.client_id == client_id),
                ("another redirect_uri than at /authorize", grant is not None and form.get("redirect_uri") == grant.redirect_uri),
                ("a code_verifier that does not match the challenge", grant is not None and _challenge(verifier) == grant.code_challenge),
            )
            if not found
        ]
        if wrong or grant is None:
            self._violate(None, f"/token: {', '.join(wrong)}")
            return _json({"error": "invalid_grant", "error_description": ", ".join(wrong)}, 400)
        key = RSAKey.generate_key(2048, parameters={"kid": self._key.kid}) if stray_key else self._key
        return _json({
            "access_token": secrets.token_urlsafe(32),
            "token_type": "Bearer",
            "expires_in": ID_TOKEN_LIFETIME,
            "scope": " ".join(sorted(SCOPE)),
            "id_token": jwt.encode({"alg": "RS256", "kid": key.kid}, self._claims(grant), key),
        })

    def _claims(self, grant: _Grant) -> dict[str, Any]:
        now = int(time.time())
        person = grant.person
        return {
            "iss": self.url,
            "sub": person.sub,
            "aud": self.client_id,
            "iat": now,
            "exp": now + ID_TOKEN_LIFETIME,
            "nonce": grant.nonce,
            person.email_claim: person.email,
            "name": person.email.split("@")[0].title(),
            "roles": list(person.roles),
            "amr": list(person.amr),
        }

    @staticmethod
    def _client_of(request: Request) -> tuple[str | None, str | None]:
        if request.authorization is not None:
            return request.authorization.username, request.authorization.password
        return request.form.get("client_id"), request.form.get("client_secret")


def _challenge(verifier: str) -> str:
    """PKCE's S256 (RFC 7636): base64url of the verifier's SHA-256, without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
