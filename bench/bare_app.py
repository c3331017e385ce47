"""A bare FastAPI endpoint returning a constant: the ceiling GET run is compared to.

Served exactly as ``ishcd server`` serves the API (``ishcd.cli.server``):
uvicorn, one worker, uvloop, httptools, no access log, log level info.
Run as ``python -m bench.bare_app --port N``.
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def constant() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="info",
    )


if __name__ == "__main__":
    main()
