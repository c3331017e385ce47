"""The UI section: server time p95 of every page, on a data dir the size of a busy team's.

The data dir (``bench.ui_data``) holds 100 projects, 10,000 runs in project
``big`` and 1,000 pipelines. Each path of ``PAGES`` is requested ``REQUESTS``
times, the paths in turn (so drift in the machine's speed touches all alike),
one request at a time on one keep-alive connection of ``bench.wire`` (a client
that costs next to nothing), after ``WARMUP`` rounds. Two figures per path:
the round trip measured by the client on localhost, and the ``Server-Timing``
header's largest ``dur`` when the server sends one (the time it spent on the
page, without the socket). The target applies to the server's figure where it
exists, else to the round trip, which includes it.
"""

from __future__ import annotations

import html
import re
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from bench import wire
from bench.exceptions import BenchError
from bench.report import Row

# The pages measured. Whoever adds a page adds its path here ({run_id}: the newest run of
# big's job-01). The JSON API lists stand in until the pages exist.
PAGES: tuple[str, ...] = (
    "/v1/projects",
    "/v1/projects/big",
    "/v1/projects/big/jobs",
    "/v1/projects/big/runs?page=1",
    "/v1/projects/big/runs?page=100",
    "/v1/projects/big/runs?status=error&page=10",
    "/v1/projects/big/jobs/job-01/runs?page=1",
    "/v1/projects/big/jobs/job-01/runs/{run_id}",
    "/v1/projects/big/pipelines?page=1",
    "/v1/projects/big/pipelines?page=30",
    "/v1/projects/big/pipelines/500",
    # The front pages: the Projects tab (100 projects, 50 a page,
    # each with its latest run), the account's tabs, site admin.
    "/projects",
    "/projects?page=2",
    "/integrations",
    "/account",
    "/admin/users",
    "/admin/audit",
    "/admin/audit?page=50",
    "/projects/big/runs/{run_id}",
    "/projects/big/pipelines/new",
    "/projects/big/pipelines",
    "/projects/big/pipelines?page=30",
    "/projects/big/pipelines/500",
    # A project's pages (web/pages/projects.py and its neighbours).
    "/projects/new",
    "/projects/big",
    "/projects/big/runs?page=1",
    "/projects/big/runs?page=100",
    "/projects/big/runs?status=error&page=10",
    "/projects/big/runs?job=job-01&page=3",
    "/projects/big/members",
    "/projects/big/settings",
    "/projects/big/audit",
    "/projects/big/audit?page=100",
    "/projects/big/jobs/job-01",
    "/projects/big/jobs/job-01/run?TARGET=web1",
    "/projects/big/jobs/job-01/edit",
)
REQUESTS = 100
WARMUP = 5
TARGET_P95_MS = 50.0
_DUR = re.compile(r"(?:^|;)\s*dur=([0-9.]+)")
_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]*)"|value="([^"]*)"[^>]*?name="csrf_token"')
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class PageTiming:
    path: str
    requests: int
    bytes: int  # of the last response's body
    client_p50_ms: float
    client_p95_ms: float
    server_p95_ms: float | None  # from Server-Timing; None when the server sent none

    @property
    def judged_ms(self) -> float:
        return self.client_p95_ms if self.server_p95_ms is None else self.server_p95_ms


def server_timing_ms(header: str | None) -> float | None:
    """The largest ``dur`` of a ``Server-Timing`` header (the whole, where parts are given)."""
    if not header:
        return None
    durations = [
        float(match.group(1)) for metric in header.split(",") if (match := _DUR.search(metric))
    ]
    return max(durations) if durations else None


def csrf_field(page: str) -> str | None:
    """The value of a form's ``csrf_token`` input in ``page``."""
    found = _CSRF.search(page)
    return None if found is None else html.unescape(found.group(1) or found.group(2))


def log_in(base_url: str, username: str, password: str) -> str:
    """Log in through the login form (``/login``: ``username``, ``password``, ``csrf_token``);
    the session's ``Cookie`` header for the pages."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        form = client.get("/login")
        token = csrf_field(form.text)
        if form.status_code != 200 or token is None:
            raise BenchError(f"GET /login answered {form.status_code} with no csrf_token field")
        fields = {"username": username, "password": password, "csrf_token": token}
        answer = client.post("/login", data=fields)
        if answer.status_code not in (302, 303) or not client.cookies:
            raise BenchError(f"POST /login answered {answer.status_code}, not a redirect")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


async def time_pages(
    base_url: str,
    paths: Iterable[str],
    *,
    token: str | None = None,
    cookie: str | None = None,
    requests: int = REQUESTS,
    warmup: int = WARMUP,
) -> list[PageTiming]:
    """Request each path ``requests`` times (as ``token`` or with the session ``cookie``)."""
    paths = list(paths)
    headers = {"Accept": "text/html,application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if cookie:
        headers["Cookie"] = cookie
    client: dict[str, list[float]] = {path: [] for path in paths}
    server: dict[str, list[float]] = {path: [] for path in paths}
    size: dict[str, int] = {}
    async with await wire.Connection.open(base_url, headers) as conn:
        for index in range(warmup + requests):
            for path in paths:
                start = time.perf_counter()
                response = await conn.request("GET", path)
                elapsed_ms = (time.perf_counter() - start) * 1000
                if response.status != 200:
                    body = response.body[:300].decode(errors="replace")
                    raise BenchError(f"GET {path} answered {response.status}: {body}")
                if index < warmup:
                    continue
                client[path].append(elapsed_ms)
                size[path] = len(response.body)
                if (found := server_timing_ms(response.headers.get("server-timing"))) is not None:
                    server[path].append(found)
    return [
        PageTiming(
            path=path,
            requests=requests,
            bytes=size[path],
            client_p50_ms=statistics.median(client[path]),
            client_p95_ms=_p95(client[path]),
            server_p95_ms=_p95(server[path]) if len(server[path]) == requests else None,
        )
        for path in paths
    ]


def rows(pages: list[PageTiming]) -> list[Row]:
    table = []
    for page in pages:
        source = "round trip" if page.server_p95_ms is None else "Server-Timing"
        table.append(
            Row(
                f"GET {_UUID.sub('{id}', page.path)} p95 ({source})",
                f"{page.judged_ms:.2f} ms",
                f"< {TARGET_P95_MS:g} ms",
                page.judged_ms < TARGET_P95_MS,
            )
        )
        table.append(Row("  round trip p50", f"{page.client_p50_ms:.2f} ms"))
    return table
