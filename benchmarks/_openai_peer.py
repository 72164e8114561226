"""openai-python as a peer for the overhead benchmark: its client on the same in-memory transport.

openai-python is the reference for "a typed async SDK on httpx". Here its
``AsyncOpenAI`` client is pointed at the same :class:`StaticJSONTransport` as
the SDK and raw httpx, and ``client.get(path, cast_to=Case)`` fetches the
same documented case JSON into an ``openai.BaseModel`` built from that JSON:
a nested model for every object, a list of models for every list of objects,
``int``/``float``/``str``/``bool`` for the scalars, every field optional (as
openai-python's generated models declare most fields). Strings stay strings:
openai-python has no RFC 1123 dates to parse, so it does less work here than
the SDK does (which parses 17 dates and exact ``Decimal`` amounts); its ratio
is a lower bound.

openai-python 3 moved to ``httpx2``, a different transport stack; the
comparison needs a release on httpx (``openai<3``, as the ``bench`` extra
pins). :func:`available` says why when it cannot run.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from benchmarks._common import BASE_URL, CASE_JSON

__all__ = ["OpenAIPeer", "available"]


def available() -> str | None:
    """``None`` when openai-python on httpx is importable, else why the peer is left out."""
    try:
        import openai
    except ImportError:
        return "openai-python is not installed (pip install -e '.[bench]')"
    from openai import _base_client

    if getattr(_base_client, "httpx", None) is not httpx:
        return f"openai {openai.__version__} does not run on httpx (openai<3 does)"
    return None


def _field_type(name: str, samples: list[Any]) -> Any:
    values = [value for value in samples if value is not None]
    if not values:
        return object
    if all(isinstance(value, dict) for value in values):
        return _model(name, values)
    if all(isinstance(value, list) for value in values):
        items = [item for value in values for item in value]
        return list[_field_type(name, items)]  # type: ignore[misc]
    kinds = {type(value) for value in values}
    if kinds == {int, float}:
        return float
    return kinds.pop() if len(kinds) == 1 else object


def _model(name: str, objects: list[dict[str, Any]]) -> Any:
    from openai import BaseModel
    from pydantic import create_model

    keys = dict.fromkeys(key for item in objects for key in item)
    fields: dict[str, Any] = {}
    for key in keys:
        annotation = _field_type(f"{name}_{key}", [item.get(key) for item in objects])
        # Eve's "_id", "_etag"...: pydantic keeps leading underscores private, so alias them.
        python_name = f"f{key}" if key.startswith("_") else key
        fields[python_name] = (annotation | None, _alias(key))
    return create_model(name, __base__=BaseModel, **fields)


def _alias(key: str) -> Any:
    from pydantic import Field

    return Field(default=None, alias=key)


class OpenAIPeer:
    """An ``AsyncOpenAI`` client on ``transport``, fetching the case into its typed model."""

    def __init__(self, transport: httpx.AsyncBaseTransport, api_key: str) -> None:
        import openai

        self._http = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=BASE_URL, http_client=self._http
        )
        self._model = _model("Case", [json.loads(CASE_JSON)])

    async def get(self, path: str) -> Any:
        """``client.get(path, cast_to=Case)``: one call through openai-python's pipeline."""
        return await self._client.get(path, cast_to=self._model)

    async def aclose(self) -> None:
        """Close the client and its httpx client."""
        await self._client.close()
        await self._http.aclose()
