"""Where the browser tests find Chromium, and why they skip when it is not there.

Debian's package (``apt-get install -y chromium``) at ``/usr/bin/chromium``;
``ISHCD_CHROMIUM`` names another executable. Playwright drives it through
``executable_path``: no browser is ever downloaded (never ``playwright install``).
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT = "/usr/bin/chromium"


def path() -> Path:
    return Path(os.environ.get("ISHCD_CHROMIUM") or DEFAULT)


def missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    found = path()
    if found.is_file() and os.access(found, os.X_OK):
        return None
    return f"Chromium not found at {found}: apt-get install -y chromium (or set ISHCD_CHROMIUM)"
