"""HTTP to an Ish CD server: credentials, error answers, pagination, streaming."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx

from ishcd.client import errors

DEFAULT_HOST = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT = 30.0
USER_AGENT = "ishcd-python-client"

Params = Mapping[str, str | int | None]


def base_url(host: str) -> str:
    """The server's root URL from what a user may type: ``host:port``, ``…/v1``, ``…/``."""
    url = host.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    return url.removesuffix("/v1")


def segment(value: str) -> str:
    """``value`` as one URL path segment (ids and machine names, escaped)."""
    return quote(value, safe="")


def _clean(params: Params | None) -> dict[str, str | int] | None:
    if params is None:
        return None
    return {name: value for name, value in params.items() if value is not None}


class Transport:
    """One HTTP connection pool to one server, with the caller's token on every request."""

    def __init__(
        self,
        host: str,
        token: str | None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        http_transport: httpx.BaseTransport | None = None,
    ):
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url(host)
        self.token = token
        self.http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=http_transport
        )

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def _unreachable(self, exc: httpx.TransportError) -> errors.ConnectionFailed:
        reason = str(exc) or type(exc).__name__
        return errors.ConnectionFailed(f"cannot reach {self.base_url}: {reason}")

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request; an error answer raises its :class:`~ishcd.client.errors.ApiError`."""
        try:
            response = self.http.request(
                method, path, params=_clean(params), json=json, headers=headers
            )
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        if response.is_error:
            raise errors.error_from_response(response)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return the JSON of its answer."""
        return decode(self.request(method, path, **kwargs))

    def items(self, path: str, params: Params | None = None) -> list[Any]:
        """One page of a list: the JSON array a ``GET`` answers."""
        items = self.json("GET", path, params=params)
        if not isinstance(items, list):
            raise errors.UnexpectedResponse(f"GET {path}: expected a JSON array")
        return items

    def pages(self, path: str, params: Params | None = None) -> Iterator[list[Any]]:
        """Each page of a list, following the ``Link`` header's ``rel="next"``.

        Only the next link's query is used, on this server and path: credentials
        never go to another host, and a proxy that rewrites URLs does not matter.
        """
        query: Params | None = params
        while True:
            response = self.request("GET", path, params=query)
            items = decode(response)
            if not isinstance(items, list):
                raise errors.UnexpectedResponse(f"GET {path}: expected a JSON array")
            yield items
            following = response.links.get("next")
            if not following or not items:
                return
            query = dict(httpx.URL(following["url"]).params)

    @contextmanager
    def stream(
        self,
        path: str,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[httpx.Response]:
        """A streamed GET with no read timeout: a followed log may be quiet for long."""
        timeout = httpx.Timeout(self.http.timeout.connect, read=None)
        try:
            with self.http.stream(
                "GET", path, params=_clean(params), headers=headers, timeout=timeout
            ) as response:
                if response.is_error:
                    response.read()
                    raise errors.error_from_response(response)
                yield response
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc


def decode(response: httpx.Response) -> Any:
    """The JSON of an answer, or :class:`~ishcd.client.errors.UnexpectedResponse`."""
    try:
        return response.json()
    except ValueError as exc:
        what = f"{response.request.method} {response.request.url.path}"
        raise errors.UnexpectedResponse(f"{what}: the answer is not JSON") from exc
