"""Page through a list over HTTPS with the Microsoft Graph Python SDKs (v1.0 and beta).

Configuration comes from the environment:

    ENTITLE_BASE      server root over https, e.g. https://127.0.0.1:8443 (no trailing slash)
    ENTITLE_TOKEN     bearer token allowed to list every assignment request
    ENTITLE_LOOPBACK  optional: a host name this process resolves to 127.0.0.1, so the base can
                      name a host that is not localhost without touching the system's resolver
    SSL_CERT_FILE     the certificate authority that issued the server's certificate (httpx reads it)

For each SDK the script lists the assignment requests one to a page and follows every
`@odata.nextLink` with msgraph-core's PageIterator, checking that each link is https on the
host the client addressed and that the pages hold every request once. When the base names a
host that is not localhost, it first checks that the SDK refuses to send the token to that host
over plain http, which is why such a host needs https. One line per step; exit 0 only if every
step passed (1 on a failed step, 2 on bad configuration).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import socket
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import msgraph
import msgraph_beta
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph_core.tasks.page_iterator import PageIterator

from graph_client import Run, expect, graph_service_client, read_env, run_scenarios

LOCALHOST = {"localhost", "127.0.0.1", "::1", "[::1]"}


@dataclass(frozen=True)
class Config:
    base: str
    token: str

    @staticmethod
    def from_env() -> Config:
        return Config(**read_env({"base": "ENTITLE_BASE", "token": "ENTITLE_TOKEN"}))

    @property
    def host(self) -> str:
        return urlsplit(self.base).hostname or ""


def resolve_to_loopback(name: str) -> None:
    """Makes this process resolve `name` to 127.0.0.1 (TLS still sends and checks `name`)."""
    original = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        text = host.decode() if isinstance(host, bytes) else host
        if isinstance(text, str) and text.casefold() == name.casefold():
            host = "127.0.0.1"
        return original(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def requests_of(client: Any) -> Any:
    return client.identity_governance.entitlement_management.assignment_requests


def query(sdk: Any, top: int) -> RequestConfiguration:
    """A list's request configuration with `$top`."""
    module = importlib.import_module(
        f"{sdk.__name__}.generated.identity_governance.entitlement_management"
        ".assignment_requests.assignment_requests_request_builder"
    )
    builder = module.AssignmentRequestsRequestBuilder
    return RequestConfiguration(
        query_parameters=builder.AssignmentRequestsRequestBuilderGetQueryParameters(top=top)
    )


def scenario(sdk: Any, version: str):
    async def run_sdk(config: Config) -> None:
        run = Run(version)
        client = graph_service_client(sdk, f"{config.base}/{version}", config.token)

        if config.host not in LOCALHOST:

            async def refuses_plain_http() -> str:
                plain = f"http://{urlsplit(config.base).netloc}/{version}"
                insecure = graph_service_client(sdk, plain, config.token)
                try:
                    await requests_of(insecure).get()
                except Exception as error:  # the SDK raises before sending anything
                    expect("https" in str(error), "a refusal naming https", str(error))
                    return f"refused: {error}"
                expect(False, "a refusal before sending the token", "a response")
                return ""

            await run.step("refuses-plain-http", refuses_plain_http)

        async def page_through() -> str:
            everything = await requests_of(client).get()
            expected = sorted(request.id for request in everything.value)
            first = await requests_of(client).get(request_configuration=query(sdk, 1))
            iterator = PageIterator(first, client.request_adapter)
            seen: list[str] = []
            links: list[str] = []

            def collect(request: Any) -> bool:
                seen.append(request.id)
                link = iterator.current_page.odata_next_link
                if link and link not in links:
                    links.append(link)
                return True

            await iterator.iterate(collect)
            expect(len(expected) >= 2, "at least two requests to page through", len(expected))
            expect(sorted(seen) == expected, f"every request once ({len(expected)})", sorted(seen))
            prefix = f"https://{urlsplit(config.base).netloc}/{version}/"
            wrong = [link for link in links if not link.startswith(prefix)]
            expect(
                not wrong and len(links) == len(expected) - 1,
                f"{len(expected) - 1} next links under {prefix}",
                links,
            )
            return f"items={len(seen)} links={len(links)}"

        await run.step("page-through", page_through)

    return run_sdk


async def main() -> int:
    loopback = os.environ.get("ENTITLE_LOOPBACK", "").strip()
    if loopback:
        resolve_to_loopback(loopback)
    return await run_scenarios(
        Config.from_env,
        (("v1.0", scenario(msgraph, "v1.0")), ("beta", scenario(msgraph_beta, "beta"))),
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
