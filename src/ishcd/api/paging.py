"""How a paginated list is documented: its page size, and the ``Link`` header it sends.

A client that reads a list without paging (Ish CD's official JavaScript
client does, for projects, jobs, members and tokens) gets the first page
only; each list's OpenAPI description says how big that page is and how to
get the rest. ``ishcd.api.deps.get_page`` takes the parameters and
``Page.finish`` sets the header; tests/api/test_list_pages.py keeps the
numbers here equal to its.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from ishcd.api import errors

PER_PAGE_DEFAULT = 30
PER_PAGE_MAX = 100

DESCRIPTION = (
    f"Paginated: `per_page` items ({PER_PAGE_DEFAULT} when absent, at most "
    f"{PER_PAGE_MAX}) of page `page` (from 1). The `Link` header links the "
    '`rel="first"` page, and the `rel="prev"` and `rel="next"` ones where they exist: '
    f"a client that reads only the first page sees at most {PER_PAGE_DEFAULT} items, so "
    'follow `rel="next"` until there is none (or ask for '
    f"`per_page={PER_PAGE_MAX}`)."
)

LINK_HEADER = {
    "Link": {
        "description": 'The `rel="first"`, `rel="prev"` and `rel="next"` pages '
        "(RFC 8288), with this request's query and `page`, `per_page` set",
        "schema": {"type": "string"},
    }
}

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def documented(endpoint: Endpoint) -> Endpoint:
    """Add the page size to a list endpoint's docstring (its OpenAPI description).

    Apply below the route decorator, so FastAPI reads the finished docstring.
    """
    endpoint.__doc__ = inspect.cleandoc(endpoint.__doc__ or "") + "\n\n" + DESCRIPTION
    return endpoint


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for a list: the ``Link`` header on 200, and its error answers."""
    return {200: {"headers": LINK_HEADER}, **errors.responses(*codes)}
