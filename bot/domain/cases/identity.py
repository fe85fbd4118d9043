"""Who wrote an anonymous case, in forms the staff side cannot read.

A sender is recognised by a keyed hash (HMAC-SHA256 with ``CASE_HASH_KEY``) of their channel and
address, and reached through a sealed box (libsodium, X25519) made with ``CASE_PUBLIC_KEY``: the
web process can seal an address, but only a process holding ``CASE_PRIVATE_KEY`` (the sending
worker) can open it. The threat model is in docs/privacy.md.

A laptop without keys gets a set made once and kept in ``instance/case_keys.json``.

Keys are rotated without losing open cases (docs/operations.md): while ``CASE_PREVIOUS_HASH_KEY``
and ``CASE_PREVIOUS_PRIVATE_KEY`` are set, a sender is still recognised by the old hash and an old
sealed address still opens; ``ungebot cases rekey`` moves every stored row to the new keys.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import lru_cache

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from bot.config import INSTANCE_DIR, ConfigError, Settings


class CaseKeyMissing(Exception):
    """This process was not given the key it needs (the web process never opens an address)."""


def _decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class CaseKeys:
    hash_key: bytes
    public_key: PublicKey
    private_key: PrivateKey | None
    previous_hash_key: bytes | None = None
    previous_private_key: PrivateKey | None = None

    def sender_key(self, channel: str, address: str) -> str:
        """What a new row stores: the current key's hash."""
        return self._mac(self.hash_key, "sender", f"{channel}:{address}")

    def sender_keys(self, channel: str, address: str) -> tuple[str, ...]:
        """What a lookup matches: the current hash and, during a rotation, the previous one."""
        return self._macs("sender", f"{channel}:{address}")

    def receipt_keys(self, channel: str, provider_id: str) -> tuple[str, ...]:
        """A provider's message id, kept only to notice a retried webhook (the id itself can be
        looked up at the provider); the current key's first."""
        return self._macs("receipt", f"{channel}:{provider_id}")

    def seal(self, channel: str, address: str) -> str:
        return _encode(SealedBox(self.public_key).encrypt(f"{channel}:{address}".encode()))

    def open(self, sealed: str) -> tuple[str, str]:
        """(channel, address) of a sealed address, with the current private key or, during a
        rotation, the previous one; only where CASE_PRIVATE_KEY is set."""
        return self.open_telling_key(sealed)[:2]

    def open_telling_key(self, sealed: str) -> tuple[str, str, bool]:
        """(channel, address, whether the current key sealed it)."""
        if self.private_key is None:
            raise CaseKeyMissing("CASE_PRIVATE_KEY is not set in this process")
        raw = _decode(sealed)
        try:
            opened, current = SealedBox(self.private_key).decrypt(raw), True
        except CryptoError:
            if self.previous_private_key is None:
                raise
            opened, current = SealedBox(self.previous_private_key).decrypt(raw), False
        channel, _, address = opened.decode().partition(":")
        return channel, address, current

    def _macs(self, purpose: str, value: str) -> tuple[str, ...]:
        current = self._mac(self.hash_key, purpose, value)
        if self.previous_hash_key is None or self.previous_hash_key == self.hash_key:
            return (current,)
        return current, self._mac(self.previous_hash_key, purpose, value)

    @staticmethod
    def _mac(key: bytes, purpose: str, value: str) -> str:
        return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def new_key_set() -> dict[str, str]:
    private = PrivateKey.generate()
    return {
        "CASE_HASH_KEY": _encode(PrivateKey.generate().encode()),
        "CASE_PUBLIC_KEY": _encode(private.public_key.encode()),
        "CASE_PRIVATE_KEY": _encode(private.encode()),
    }


def keys_for(settings: Settings) -> CaseKeys:
    return _keys(
        settings.case_hash_key, settings.case_public_key, settings.case_private_key,
        settings.case_previous_hash_key, settings.case_previous_private_key,
    )


@lru_cache(maxsize=8)
def _keys(hash_key: str, public_key: str, private_key: str, previous_hash_key: str, previous_private_key: str) -> CaseKeys:
    if not hash_key:
        found = _local_key_set()
        hash_key, public_key, private_key = found["CASE_HASH_KEY"], found["CASE_PUBLIC_KEY"], found["CASE_PRIVATE_KEY"]
    private = PrivateKey(_decode(private_key)) if private_key else None
    public = PublicKey(_decode(public_key)) if public_key else private.public_key
    if private is not None and private.public_key != public:
        raise ConfigError("CASE_PRIVATE_KEY: does not belong to CASE_PUBLIC_KEY")
    return CaseKeys(
        _decode(hash_key), public, private,
        previous_hash_key=_decode(previous_hash_key) if previous_hash_key else None,
        previous_private_key=PrivateKey(_decode(previous_private_key)) if previous_private_key else None,
    )


def _local_key_set() -> dict[str, str]:
    path = INSTANCE_DIR / "case_keys.json"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(new_key_set(), indent=2))
        path.chmod(0o600)
    return json.loads(path.read_text())
