"""Secrets at rest: Fernet encryption with the key derived from the server key.

The database only ever holds ciphertext (and, for lists, a hint such as
``xxxx1234``); the key lives outside it (``keys.py``).
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

from ishcd.keys import Keys

MASK = "xxxx"


class Vault:
    def __init__(self, keys: Keys):
        self._fernet = Fernet(keys.fernet)
        self._mac_key = keys.jwt

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(
                "a secret could not be decrypted: was the server key changed?"
            ) from exc

    def fingerprint(self, data: str) -> str:
        """A keyed hash: equal inputs match, and without the key it tells nothing."""
        return hmac.new(self._mac_key, data.encode(), hashlib.sha256).hexdigest()


def hint(value: str) -> str:
    """How a secret is listed: ``xxxx`` and its last 4 characters if longer than 8."""
    return MASK + value[-4:] if len(value) > 8 else MASK
