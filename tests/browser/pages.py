"""What a browser test watches on its page: console messages, page errors, CSP violations.

Every ``page`` fixture has a ``PageLog``. A test fails when its page threw an
uncaught error or the browser reported a Content-Security-Policy violation
(the UI's strict CSP must never block anything the UI itself ships), unless
it is marked ``allow_page_errors``. On a failure the whole console is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import ConsoleMessage, Error, Page

# Chromium words every CSP report this way ("Refused to execute inline script because it
# violates the following Content Security Policy directive: ...").
CSP_MARK = "Content Security Policy"


@dataclass
class PageLog:
    console: list[str] = field(default_factory=list)  # "[type] text (url:line)"
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    def _on_console(self, message: ConsoleMessage) -> None:
        where = message.location
        line = f"[{message.type}] {message.text}"
        if where.get("url"):
            line += f" ({where['url']}:{where.get('lineNumber', 0)})"
        self.console.append(line)
        if message.type == "error":
            self.console_errors.append(line)
        if CSP_MARK in message.text:
            self.csp_violations.append(line)

    def _on_page_error(self, error: Error) -> None:
        self.page_errors.append(f"{error.name}: {error.message}\n{error.stack or ''}".rstrip())

    def problems(self) -> list[str]:
        """What fails a test that does not allow page errors."""
        return [
            *(f"uncaught page error: {e}" for e in self.page_errors),
            *(f"CSP violation: {v}" for v in self.csp_violations),
        ]

    def describe(self) -> str:
        parts = ["console:", *(f"  {line}" for line in self.console or ["  (nothing)"])]
        if self.page_errors:
            parts += ["uncaught page errors:", *(f"  {e}" for e in self.page_errors)]
        return "\n".join(parts)
