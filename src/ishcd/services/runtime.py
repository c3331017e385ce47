"""What creating and ending runs needs beyond a connection."""

from __future__ import annotations

from dataclasses import dataclass

from ishcd.signals import Signals
from ishcd.source import Mirrors
from ishcd.vault import Vault


@dataclass(frozen=True)
class Runtime:
    vault: Vault  # seals run environments, opens secrets for runners
    signals: Signals  # wakes runners and followers when a transaction commits
    mirrors: Mirrors  # where pipeline jobs check their code out from
    default_timeout: int = 3600  # seconds, for pipeline jobs without a timeout
    public_url: str | None = None  # ISHCD_PUBLIC_URL: runs get links to themselves
