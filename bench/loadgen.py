"""A small load generator, for machines without wrk.

``python -m bench.loadgen URL -c 32 -d 10 -H 'Name: value'`` keeps that many
keep-alive connections (``bench.wire``) busy with GET URL for that many
seconds and prints one JSON object: requests/s, requests, seconds, non-2xx
responses, socket errors. It runs in a process of its own, so it takes no
time from the server's event loop; it is slower than wrk, so it may drive a
fast server less hard.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvloop

from bench import wire


@dataclass
class Counts:
    requests: int = 0
    non_2xx: int = 0
    socket_errors: int = 0


async def _connection(
    base_url: str, target: str, headers: dict[str, str], stop_at: float, counts: Counts
) -> None:
    try:
        async with await wire.Connection.open(base_url, headers) as conn:
            while time.monotonic() < stop_at:
                response = await conn.request("GET", target)
                counts.requests += 1
                if not 200 <= response.status < 300:
                    counts.non_2xx += 1
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        counts.socket_errors += 1


async def generate(url: str, connections: int, duration: float, headers: list[str]) -> Counts:
    parts = urlsplit(url)
    base_url = f"{parts.scheme}://{parts.netloc}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    fields = dict(header.split(":", 1) for header in headers)
    fields = {name.strip(): value.strip() for name, value in fields.items()}
    counts = Counts()
    stop_at = time.monotonic() + duration
    await asyncio.gather(
        *(_connection(base_url, target, fields, stop_at, counts) for _ in range(connections))
    )
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("-c", "--connections", type=int, default=32)
    parser.add_argument("-d", "--duration", type=float, default=10.0)
    parser.add_argument("-H", "--header", action="append", default=[])
    args = parser.parse_args()
    start = time.monotonic()
    counts = uvloop.run(generate(args.url, args.connections, args.duration, args.header))
    seconds = time.monotonic() - start
    result = {
        "requests_per_s": counts.requests / seconds,
        "requests": counts.requests,
        "seconds": seconds,
        "non_2xx": counts.non_2xx,
        "socket_errors": counts.socket_errors,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
