"""Lists a client may read without paging: their page size is documented, their
``Link`` header leads through every page, and the Python client lists all of them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from ishcd.api import paging
from ishcd.client import Client
from tests.api.conftest import Api

Setup = Callable[[Api], Awaitable[None]]


async def three_projects(api: Api) -> None:
    for name in ("P1", "P2", "P3"):
        await api.project(name)


async def ops(api: Api) -> None:
    if (await api.get("/v1/projects/ops")).status_code == 404:
        await api.project("Ops")


async def three_jobs(api: Api) -> None:
    await ops(api)
    for name in ("J1", "J2", "J3"):
        await api.job("ops", "true", name=name)


async def three_members(api: Api) -> None:
    await ops(api)
    for who in ("a@example.com", "b@example.com", "c@example.com"):
        response = await api.post("/v1/projects/ops/members", json={"email": who})
        assert response.status_code == 201, response.text


async def three_credentials(api: Api) -> None:
    for n in (1, 2, 3):
        body = {"name": f"c{n}", "env": f"C{n}", "value": "secret-value"}
        response = await api.post("/v1/credentials", json=body)
        assert response.status_code == 201, response.text


async def three_tokens(api: Api) -> None:
    for n in (1, 2, 3):
        response = await api.post("/v1/tokens", json={"name": f"t{n}"})
        assert response.status_code == 201, response.text


LISTS: dict[str, tuple[str, Setup]] = {
    "projects": ("/v1/projects", three_projects),
    "jobs": ("/v1/projects/ops/jobs", three_jobs),
    "members": ("/v1/projects/ops/members", three_members),
    "credentials": ("/v1/credentials", three_credentials),
    "tokens": ("/v1/tokens", three_tokens),
}


def rels(response: httpx.Response) -> dict[str, httpx.URL]:
    return {str(rel): httpx.URL(link["url"]) for rel, link in response.links.items()}


@pytest.mark.parametrize("name", list(LISTS))
async def test_link_leads_through_every_page(api: Api, name: str) -> None:
    path, setup = LISTS[name]
    await setup(api)
    everything = (await api.get(path, params={"per_page": 100})).json()
    assert len(everything) >= 3
    # As the official JavaScript client asks, with _format=json kept in every link.
    response = await api.get(path, params={"_format": "json", "per_page": 2})
    seen: list[Any] = []
    pages = 0
    while True:
        assert response.status_code == 200, response.text
        pages += 1
        items = response.json()
        seen += items
        links = rels(response)
        assert links["first"].params["page"] == "1"
        assert ("prev" in links) == (pages > 1)
        if "next" not in links:
            break
        assert len(items) == 2
        following = links["next"]
        assert following.path == path
        assert following.params["_format"] == "json"
        assert following.params["page"] == str(pages + 1)
        assert following.params["per_page"] == "2"
        response = await api.get(path, params=following.params)
    assert pages == (len(everything) + 1) // 2
    assert seen == everything


async def test_a_list_read_without_paging_gives_the_documented_page(api: Api) -> None:
    for n in range(paging.PER_PAGE_DEFAULT + 1):
        await api.project(f"P{n:02}")
    first = await api.get("/v1/projects")
    assert len(first.json()) == paging.PER_PAGE_DEFAULT
    assert "next" in first.links
    rest = await api.get("/v1/projects", params=httpx.URL(first.links["next"]["url"]).params)
    assert len(rest.json()) == 1
    assert "next" not in rest.links
    too_many = await api.get("/v1/projects", params={"per_page": paging.PER_PAGE_MAX + 1})
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "per_page"


async def test_every_paginated_list_documents_its_page_size_and_link(api: Api) -> None:
    spec = (await api.http.get("/v1/swagger.json")).json()
    listed = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            params = {p["name"]: p for p in operation.get("parameters", [])}
            if "per_page" not in params:
                continue
            answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
            if answer.get("type") != "array":
                continue  # paged but not a list (a log search: its matches)
            listed.append(path)
            where = f"{method.upper()} {path}"
            assert paging.DESCRIPTION in operation["description"], where
            assert "Link" in operation["responses"]["200"]["headers"], where
            per_page = params["per_page"]["schema"]
            assert per_page["default"] == paging.PER_PAGE_DEFAULT, where
            assert per_page["maximum"] == paging.PER_PAGE_MAX, where
    for path, _ in LISTS.values():
        assert path.replace("ops", "{project_ish}") in listed


class OnTheLoop(httpx.BaseTransport):
    """The sync client's requests (made in a worker thread) sent to the app on the test's loop."""

    def __init__(self, http: httpx.AsyncClient, loop: asyncio.AbstractEventLoop):
        self._http = http
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            answer = await self._http.request(
                request.method, request.url, headers=request.headers, content=request.read()
            )
            return httpx.Response(
                answer.status_code, headers=answer.headers, content=answer.content
            )

        return asyncio.run_coroutine_threadsafe(send(), self._loop).result()


async def test_the_python_client_lists_everything_past_one_page(api: Api) -> None:
    await three_jobs(api)
    await three_members(api)
    await three_credentials(api)
    await three_tokens(api)
    for n in range(paging.PER_PAGE_DEFAULT):  # with ops, one more than a page
        await api.project(f"P{n:02}")
    transport = OnTheLoop(api.http, asyncio.get_running_loop())

    def listing() -> dict[str, list[str]]:
        with Client(api.token, "http://ishcd.test", transport=transport) as client:
            ops = client.projects("ops")
            return {
                "projects": [p.machine_name for p in client.projects().iter_all()],
                "projects_by_2": [p.machine_name for p in client.projects().iter_all(per_page=2)],
                "jobs": [j.machine_name for j in ops.jobs().iter_all(per_page=2)],
                "members": [m.who for m in ops.members().iter_all(per_page=2)],
                "credentials": [c.name for c in client.credentials().iter_all(per_page=2)],
                "tokens": [t.name for t in client.tokens().iter_all(per_page=2)],
                "first_page": [p.machine_name for p in client.projects().list()],
            }

    found = await asyncio.to_thread(listing)
    assert len(found["projects"]) == paging.PER_PAGE_DEFAULT + 1
    assert found["projects_by_2"] == found["projects"]
    assert len(found["first_page"]) == paging.PER_PAGE_DEFAULT
    assert found["jobs"] == ["j1", "j2", "j3"]
    assert found["members"][1:] == ["a@example.com", "b@example.com", "c@example.com"]
    assert found["credentials"] == ["c1", "c2", "c3"]
    assert {"t1", "t2", "t3"} <= set(found["tokens"])
