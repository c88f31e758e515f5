"""Find an OpenAI-compatible server on the machine under test, for ``collect`` without variants.

Candidates: the plan's server URLs (their ports, on the host being evaluated), then port 8000,
the default of vLLM and most OpenAI-compatible servers. A candidate is a server when
``/v1/models`` answers 200 with a model list; every other answer is a reason, kept for the one
line that says why serving was skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

from collectors import answers
from collectors.auth import bearer
from reportgen.errors import ServerError
from reportgen.plan import Plan

__all__ = ["DEFAULT_PORT", "Discovery", "candidate_urls", "discover_server"]

DEFAULT_PORT = 8000
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@dataclass
class Discovery:
    base_url: str | None = None  # the first candidate that serves models
    models: list[str] = field(default_factory=list)
    tried: list[tuple[str, str]] = field(default_factory=list)  # (url, why not) for the others

    def why_not(self) -> str:
        return "; ".join(f"{url}: {why}" for url, why in self.tried) or "no candidate"


def _on_host(url: str, host: str) -> str:
    """``url`` moved to ``host`` when it names this machine (a plan written for a local run)."""
    parts = urlsplit(url if "//" in url else "http://" + url)
    if (parts.hostname or "") in _LOOPBACK and host not in _LOOPBACK:
        netloc = host if ":" not in host else f"[{host}]"
        netloc += f":{parts.port}" if parts.port else ""
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts).rstrip("/")


def candidate_urls(host: str | None, plan: Plan | None = None, ports: tuple[int, ...] = ()) -> list[str]:
    """Where to look, in order, without repeats: ``ports`` if given, else the plan's server URLs
    and then port 8000; all on ``host`` (None: this machine)."""
    target = host or "127.0.0.1"
    netloc = target if ":" not in target else f"[{target}]"
    urls: list[str] = []
    if ports:
        urls = [f"http://{netloc}:{p}" for p in ports]
    else:
        if plan is not None:
            urls += [_on_host(plan.server.base_url, target)]
            urls += [_on_host(v.base_url, target) for v in plan.variants if v.base_url]
        urls.append(f"http://{netloc}:{DEFAULT_PORT}")
    return list(dict.fromkeys(urls))


def discover_server(urls: list[str], timeout_s: float = 3.0, *, api_key: str | None = None) -> Discovery:
    found = Discovery()
    with answers.sync_client(timeout_s, headers=bearer(api_key)) as client:
        for url in urls:
            try:
                r = answers.request(client, "GET", url + "/v1/models")
            except httpx.HTTPError as e:
                found.tried.append((url, type(e).__name__))
                continue
            except ServerError:
                found.tried.append((url, "/v1/models answered more than a model list holds"))
                continue
            if r.status_code != 200:
                found.tried.append((url, f"/v1/models answered HTTP {r.status_code}"))
                continue
            try:
                models = [m for m in answers.model_ids(r.content, "/v1/models") if m]
            except ServerError:
                found.tried.append((url, "/v1/models did not answer a model list"))
                continue
            if not models:
                found.tried.append((url, "/v1/models lists no model"))
                continue
            found.base_url, found.models = url, models
            return found
    return found
