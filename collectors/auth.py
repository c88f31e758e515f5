"""API keys of OpenAI-compatible servers (vLLM ``--api-key``, gateways): read once from the
environment, sent as ``Authorization: Bearer``, never stored or printed.

The command line and the plan name an environment variable (``--api-key-env VAR``,
``api_key_env = "VAR"``), never the key itself, so the key is on no command line, in no plan
file and in no results file. ``api_key_from_env`` reads it and registers it with
``reportgen.redact`` at once: any later echo of it (a server's error quoting it, a log line)
is masked wherever reportgen prints or saves text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from reportgen.errors import InputFormatError
from reportgen.plan import ENV_NAME, EmbeddingPlan, Plan
from reportgen.redact import register_secret

__all__ = ["ApiKey", "api_key_from_env", "bearer", "embedding_api_key", "variant_api_keys"]


@dataclass(frozen=True)
class ApiKey:
    """A key and the variable it came from; prints as the variable's name, never the key."""

    env: str
    value: str = field(repr=False)

    def __str__(self) -> str:
        return self.env


def api_key_from_env(var: str, *, what: str = "--api-key-env") -> ApiKey:
    """The key held by environment variable ``var``; ``InputFormatError`` naming ``what`` when
    the name is not a variable name or the variable is unset or empty."""
    if not ENV_NAME.fullmatch(var):
        raise InputFormatError(f"{what} {var!r}: not an environment variable name (letters, digits, _)")
    value = os.environ.get(var, "")
    if not value.strip():
        raise InputFormatError(f"{what} {var}: that environment variable is not set")
    register_secret(value)
    return ApiKey(var, value)


def bearer(key: ApiKey | str | None) -> dict[str, str]:
    """The headers that carry ``key`` (none without one). The key is registered as a secret
    (``reportgen.redact``) whatever it came from: a server that echoes it (a 401 quoting it, an
    answer quoting ``Bearer <key>``) never gets it into a results file, a document or the terminal."""
    value = key.value if isinstance(key, ApiKey) else key
    if not value:
        return {}
    register_secret(value)
    return {"Authorization": f"Bearer {value}"}


def variant_api_keys(plan: Plan, default: ApiKey | None) -> dict[str, str | None]:
    """Per variant label, the key its server gets: the variant's own ``api_key_env``, else the
    command line's ``--api-key-env`` (``default``), else ``[server] api_key_env``. Every variable
    is read here, so an unset one stops the run before any server is touched."""
    if default is None and plan.server.api_key_env:
        default = api_key_from_env(plan.server.api_key_env, what="[server] api_key_env")
    out: dict[str, str | None] = {}
    for vp in plan.variants:
        key = api_key_from_env(vp.api_key_env, what=f"[[variants]] {vp.label!r} api_key_env") if vp.api_key_env else default
        out[vp.label] = key.value if key is not None else None
    return out


def embedding_api_key(plan: Plan, e: EmbeddingPlan, default: ApiKey | None) -> str | None:
    """The key of one ``[[embedding]]`` check's server (same precedence as ``variant_api_keys``)."""
    if e.api_key_env:
        return api_key_from_env(e.api_key_env, what=f"[[embedding]] {e.model!r} api_key_env").value
    if default is None and plan.server.api_key_env:
        default = api_key_from_env(plan.server.api_key_env, what="[server] api_key_env")
    return default.value if default is not None else None
