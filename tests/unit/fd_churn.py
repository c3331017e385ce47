"""Spawn many short children under uvloop while threads open and close files.

Run as a program by ``test_child_descriptors.py``: prints ``harmed N`` (how
many descriptors of the threads were closed under them) and exits 0, or dies.
A descriptor closed twice by the spawning side closes, now and then, a number
one of the threads has just been given; the thread sees EBADF.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path

import uvloop

from ishcd.runner.child import spawn

harmed: list[OSError] = []
stopping = threading.Event()


def churn() -> None:
    while not stopping.is_set():
        fd = os.open(os.devnull, os.O_RDONLY)
        try:
            os.fstat(fd)
            os.fstat(fd)
            os.close(fd)
        except OSError as exc:
            harmed.append(exc)


async def start_many(count: int, at_once: int) -> None:
    places = asyncio.Semaphore(at_once)

    async def one() -> None:
        async with places:
            child = await spawn(["true"], Path("/"), {"PATH": os.environ["PATH"]})
            while await child.output.read(65536):
                pass
            await child.exited
            child.close()

    await asyncio.gather(*(one() for _ in range(count)))


def main() -> None:
    count, threads = int(sys.argv[1]), int(sys.argv[2])
    workers = [threading.Thread(target=churn) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        uvloop.run(start_many(count, 16))
    finally:
        stopping.set()
        for worker in workers:
            worker.join()
    print(f"harmed {len(harmed)}")


if __name__ == "__main__":
    main()
