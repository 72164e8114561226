"""Eve's list query parameters: ``where``, ``sort``, ``page``, ``max_results``, ``projection``.

``where`` is a MongoDB filter evaluated in memory with Mongo's semantics:
dot notation walks into sub-documents and through arrays (a filter on
``debts.invoice_number`` matches a registration if *any* debt matches), and
RFC 1123 date strings in a filter compare as dates, as Eve converts them.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from .._serde import dumps, loads, parse_http_date
from ._errors import ApiError

__all__ = [
    "DEFAULT_MAX_RESULTS",
    "DEFAULT_MAX_RESULTS_CAP",
    "MAX_WHERE_DEPTH",
    "MAX_WHERE_TERMS",
    "ListQuery",
    "Paging",
    "QueryItems",
    "apply_projection",
    "compile_where",
    "parse_list_query",
    "parse_paging",
    "parse_projection",
    "parse_projection_param",
    "resolve",
    "sort_documents",
]

#: The page size of a list request that names none (Eve's ``PAGINATION_DEFAULT``).
DEFAULT_MAX_RESULTS = 25
#: The largest page size answered: Amili documents "max: 100" (Eve's own default is 50).
DEFAULT_MAX_RESULTS_CAP = 100

Predicate = Callable[[Mapping[str, Any]], bool]
Doc = TypeVar("Doc", bound=Mapping[str, Any])
#: A query string as ``(name, value)`` pairs, in the order sent (repeats allowed).
QueryItems = Sequence[tuple[str, str]]

#: The deepest ``where`` answered (MongoDB refuses documents nested deeper than 100).
MAX_WHERE_DEPTH = 100
#: The most keys and list items, in all, of a ``where`` answered.
MAX_WHERE_TERMS = 1000

#: Eve refuses these operators by default (``MONGO_QUERY_BLACKLIST``).
_BLACKLISTED = frozenset({"$where", "$regex"})
_COMPARISONS = frozenset({"$gt", "$gte", "$lt", "$lte"})
_DATE = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")
_META_FIELDS = ("_id", "_created", "_updated", "_etag")
#: The parameters Eve reads itself; any other one is copied into its links as sent.
_EVE_PARAMS = frozenset(
    {"where", "sort", "page", "max_results", "embedded", "projection", "version"}
)


@attrs.frozen
class Paging:
    """The page a request asks for, and the raw query Eve rebuilds its links from.

    ``where`` and ``sort`` are the parameters as sent (``""`` when absent);
    ``others`` are the parameters Eve does not read, grouped by name in the
    order each name first appears.
    """

    page: int = 1
    max_results: int = DEFAULT_MAX_RESULTS
    where: str = ""
    sort: str = ""
    others: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class ListQuery:
    """A parsed list request."""

    where: Predicate | None
    sort: tuple[tuple[str, int], ...]
    projection: dict[str, int] | None
    paging: Paging

    @property
    def page(self) -> int:
        """The page asked for (1-based)."""
        return self.paging.page

    @property
    def max_results(self) -> int:
        """The page size, after Eve's fallback and cap."""
        return self.paging.max_results


def parse_list_query(
    items: QueryItems, *, cap: int, default_max: int = DEFAULT_MAX_RESULTS
) -> ListQuery:
    """Parse the query string of a list request, raising a 400 ``ApiError`` when malformed.

    ``cap`` is the largest page size answered (Eve's ``PAGINATION_LIMIT``);
    ``page`` and ``max_results`` never fail (see :func:`parse_paging`).
    """
    params = _first_values(items)
    where = compile_where(params["where"]) if params.get("where") else None
    sort = _parse_sort(params["sort"]) if params.get("sort") else ()
    projection = parse_projection_param(params)
    paging = parse_paging(items, cap=cap, default_max=default_max)
    return ListQuery(where, sort, projection, paging)


def parse_paging(items: QueryItems, *, cap: int, default_max: int = DEFAULT_MAX_RESULTS) -> Paging:
    """``page`` and ``max_results`` as Eve reads them, and the raw query for its links.

    Like Eve, nothing here is refused: a ``max_results`` that is missing, not a
    number or not above 0 is ``default_max``, one above ``cap`` is ``cap``
    (``int(float(x))``, so ``"7.9"`` is 7); ``page`` is ``abs(int(x)) or 1``
    (``0`` is 1, ``-2`` is 2), and 1 when not a whole number.
    """
    params = _first_values(items)
    return Paging(
        page=_eve_page(params.get("page")),
        max_results=min(_eve_max_results(params.get("max_results"), default_max), cap),
        where=params.get("where", ""),
        sort=params.get("sort", ""),
        others=_other_params(items),
    )


def parse_projection_param(params: Mapping[str, str]) -> dict[str, int] | None:
    """The ``projection`` parameter of a list or item request, if given."""
    return parse_projection(params["projection"]) if params.get("projection") else None


def _first_values(items: QueryItems) -> dict[str, str]:
    """Each parameter's first value, as Eve's ``request.args.get`` reads it."""
    first: dict[str, str] = {}
    for name, value in items:
        first.setdefault(name, value)
    return first


def _eve_max_results(text: str | None, default: int) -> int:
    try:
        value = int(float(text)) if text is not None else default
    except (ValueError, OverflowError):
        return default
    return value if value > 0 else default


def _eve_page(text: str | None) -> int:
    try:
        return abs(int(text)) or 1 if text is not None else 1
    except ValueError:
        return 1


def _other_params(items: QueryItems) -> tuple[tuple[str, str], ...]:
    grouped: dict[str, list[str]] = {}
    for name, value in items:
        if name not in _EVE_PARAMS:
            grouped.setdefault(name, []).append(value)
    return tuple((name, value) for name, values in grouped.items() for value in values)


# --- where -------------------------------------------------------------------------


def compile_where(text: str) -> Predicate:
    """Parse a JSON ``where`` clause into a predicate over stored documents.

    A clause nested more than :data:`MAX_WHERE_DEPTH` levels deep (MongoDB's
    own limit) or with more than :data:`MAX_WHERE_TERMS` keys and list items
    in all is refused with a 400, like one that is not JSON.
    """
    try:
        query = loads(text)
    except (ValueError, RecursionError):
        raise ApiError(400, "Unable to parse `where` clause") from None
    if not isinstance(query, dict):
        raise ApiError(400, "Unable to parse `where` clause (expected a JSON object)")
    _check_size(query)
    return _compile_document(_coerce_dates(query))


def _check_size(query: dict[str, Any]) -> None:
    """Refuse a clause too deep or too large to evaluate (walked without recursion)."""
    terms = 0
    stack: list[tuple[Any, int]] = [(query, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        terms += len(children)
        if depth > MAX_WHERE_DEPTH:
            raise ApiError(400, f"Unable to parse `where` clause: deeper than {MAX_WHERE_DEPTH}")
        if terms > MAX_WHERE_TERMS:
            raise ApiError(400, f"Unable to parse `where` clause: over {MAX_WHERE_TERMS} terms")
        stack.extend((child, depth + 1) for child in children)


def _coerce_dates(value: Any) -> Any:
    if isinstance(value, str) and _DATE.match(value):
        try:
            return parse_http_date(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        return {key: _coerce_dates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_coerce_dates(item) for item in value]
    return value


def _compile_document(query: Mapping[str, Any]) -> Predicate:
    parts: list[Predicate] = []
    for key, condition in query.items():
        if key in ("$and", "$or", "$nor"):
            if not isinstance(condition, list) or not condition:
                raise ApiError(400, f"Unable to parse `where` clause: {key} needs a non-empty list")
            subs = [_compile_sub(item, key) for item in condition]
            parts.append(_combine(key, subs))
        elif key.startswith("$"):
            _refuse_operator(key)
        else:
            parts.append(_compile_field(key, condition))

    def predicate(doc: Mapping[str, Any]) -> bool:
        return all(part(doc) for part in parts)

    return predicate


def _compile_sub(item: Any, key: str) -> Predicate:
    if not isinstance(item, dict):
        raise ApiError(400, f"Unable to parse `where` clause: {key} items must be objects")
    return _compile_document(item)


def _combine(key: str, subs: list[Predicate]) -> Predicate:
    if key == "$and":
        return lambda doc: all(sub(doc) for sub in subs)
    if key == "$or":
        return lambda doc: any(sub(doc) for sub in subs)
    return lambda doc: not any(sub(doc) for sub in subs)


def _refuse_operator(key: str) -> None:
    if key in _BLACKLISTED:
        raise ApiError(400, f"Query contains operators banned in MONGO_QUERY_BLACKLIST: {key}")
    raise ApiError(400, f"Unable to parse `where` clause: unsupported operator {key}")


def _compile_field(path: str, condition: Any) -> Predicate:
    if isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition):
        checks = [_compile_operator(path, op, arg) for op, arg in condition.items()]
        return lambda doc: all(check(doc) for check in checks)
    if isinstance(condition, dict) and any(k.startswith("$") for k in condition):
        raise ApiError(400, f"Unable to parse `where` clause: mixed operators and fields at {path}")
    return lambda doc: _matches_equal(resolve(doc, path), condition)


def _compile_operator(path: str, op: str, arg: Any) -> Predicate:
    if op == "$eq":
        return lambda doc: _matches_equal(resolve(doc, path), arg)
    if op == "$ne":
        return lambda doc: not _matches_equal(resolve(doc, path), arg)
    if op in ("$in", "$nin"):
        if not isinstance(arg, list):
            raise ApiError(400, f"Unable to parse `where` clause: {op} needs a list")
        if op == "$in":
            return lambda doc: any(_matches_equal(resolve(doc, path), item) for item in arg)
        return lambda doc: not any(_matches_equal(resolve(doc, path), item) for item in arg)
    if op in _COMPARISONS:
        return lambda doc: any(_compare(value, op, arg) for value in _flatten(resolve(doc, path)))
    if op == "$exists":
        wanted = bool(arg)
        return lambda doc: bool(resolve(doc, path)) == wanted
    if op == "$not":
        if not isinstance(arg, dict):
            raise ApiError(400, "Unable to parse `where` clause: $not needs an operator object")
        inner = _compile_field(path, arg)
        return lambda doc: not inner(doc)
    _refuse_operator(op)
    raise AssertionError("unreachable")


def resolve(doc: Any, path: str) -> list[Any]:
    """Every value at dotted ``path``, walking through arrays like MongoDB does."""
    parts = path.split(".")
    found: list[Any] = []

    def walk(value: Any, index: int) -> None:
        if index == len(parts):
            found.append(value)
            return
        key = parts[index]
        if isinstance(value, dict):
            if key in value:
                walk(value[key], index + 1)
        elif isinstance(value, list):
            if key.isdigit() and int(key) < len(value):
                walk(value[int(key)], index + 1)
            for element in value:
                if isinstance(element, dict):
                    walk(element, index)

    walk(doc, 0)
    return found


def _flatten(values: Iterable[Any]) -> Iterable[Any]:
    for value in values:
        if isinstance(value, list):
            yield from value
        else:
            yield value


def _matches_equal(values: list[Any], target: Any) -> bool:
    if target is None and not values:
        return True
    for value in values:
        if _equal(value, target):
            return True
        if isinstance(value, list) and any(_equal(item, target) for item in value):
            return True
    return False


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "date"
    if isinstance(value, dict):
        return "object"
    return "array"


def _equal(left: Any, right: Any) -> bool:
    if _kind(left) != _kind(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_equal, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_equal(left[k], right[k]) for k in left)
    return bool(left == right)


def _compare(value: Any, op: str, target: Any) -> bool:
    kind = _kind(value)
    if kind != _kind(target) or kind not in ("number", "string", "date"):
        return False
    if op == "$gt":
        return bool(value > target)
    if op == "$gte":
        return bool(value >= target)
    if op == "$lt":
        return bool(value < target)
    return bool(value <= target)


# --- sort --------------------------------------------------------------------------


def _parse_sort(text: str) -> tuple[tuple[str, int], ...]:
    text = text.strip()
    if text.startswith("["):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise ApiError(400, "Unable to parse `sort` clause") from None
        if not isinstance(parsed, list | tuple):
            raise ApiError(400, "Unable to parse `sort` clause")
        keys: list[tuple[str, int]] = []
        for item in parsed:
            if (
                not isinstance(item, list | tuple)
                or len(item) != 2
                or not isinstance(item[0], str)
                or not item[0]
                or item[1] not in (1, -1)
            ):
                raise ApiError(400, "Unable to parse `sort` clause")
            keys.append((item[0], int(item[1])))
        return tuple(keys)
    keys = []
    for part in text.split(","):
        name = part.strip()
        direction = 1
        if name.startswith("-"):
            name, direction = name[1:].strip(), -1
        if not name or not re.fullmatch(r"[A-Za-z0-9_.]+", name):
            raise ApiError(400, "Unable to parse `sort` clause")
        keys.append((name, direction))
    return tuple(keys)


_RANK = {"null": 0, "number": 1, "string": 2, "object": 3, "array": 4, "bool": 5, "date": 6}


def _sort_value(doc: Mapping[str, Any], path: str, descending: bool) -> tuple[int, Any]:
    values = list(_flatten(resolve(doc, path)))
    if not values:
        return (0, 0)
    keyed = [_rank_value(value) for value in values]
    return max(keyed) if descending else min(keyed)


def _rank_value(value: Any) -> tuple[int, Any]:
    kind = _kind(value)
    if kind == "null":
        return (0, 0)
    if kind == "number":
        return (1, Decimal(str(value)) if isinstance(value, float) else Decimal(value))
    if kind in ("object", "array"):
        return (_RANK[kind], dumps(value))
    if kind == "bool":
        return (5, int(value))
    return (_RANK[kind], value)


def sort_documents(docs: list[Doc], keys: tuple[tuple[str, int], ...]) -> list[Doc]:
    """Sort by several keys (``1`` ascending, ``-1`` descending), stably."""
    ordered = list(docs)
    for path, direction in reversed(keys):
        descending = direction < 0
        ordered.sort(key=lambda doc: _sort_value(doc, path, descending), reverse=descending)
    return ordered


# --- projection --------------------------------------------------------------------


def parse_projection(text: str) -> dict[str, int]:
    """Parse ``{"field": 1, ...}`` (inclusion) or ``{"field": 0, ...}`` (exclusion)."""
    try:
        parsed = json.loads(text)
    except ValueError:
        raise ApiError(400, "Unable to parse `projection` clause") from None
    if not isinstance(parsed, dict) or not parsed:
        raise ApiError(400, "Unable to parse `projection` clause (expected a JSON object)")
    projection: dict[str, int] = {}
    for key, value in parsed.items():
        if isinstance(value, bool):
            value = int(value)
        if value not in (0, 1) or not key:
            raise ApiError(400, f"Unable to parse `projection` clause: bad value for {key!r}")
        projection[key] = value
    modes = {value for key, value in projection.items() if key not in _META_FIELDS}
    if len(modes) > 1:
        raise ApiError(
            400, "Unable to parse `projection` clause: cannot mix inclusion and exclusion"
        )
    return projection


def apply_projection(doc: Mapping[str, Any], projection: Mapping[str, int]) -> dict[str, Any]:
    """Keep (or drop) the projected fields; Eve's meta fields stay unless excluded by name."""
    including = any(value == 1 for key, value in projection.items() if key not in _META_FIELDS)
    if not including and not any(value == 1 for value in projection.values()):
        result = dict(doc)
        for path, value in projection.items():
            if value == 0:
                _drop(result, path.split("."))
        return result
    result = {}
    for field in _META_FIELDS:
        if field in doc and projection.get(field, 1) == 1:
            result[field] = doc[field]
    for path, value in projection.items():
        if value == 1:
            _copy(doc, result, path.split("."))
    return result


def _copy(source: Mapping[str, Any], target: dict[str, Any], parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    if head not in source:
        return
    if not rest:
        target[head] = source[head]
        return
    value = source[head]
    if isinstance(value, dict):
        inner = target.setdefault(head, {})
        if isinstance(inner, dict):
            _copy(value, inner, rest)
    elif isinstance(value, list):
        items = target.setdefault(head, [{} for _ in value])
        for element, slot in zip(value, items, strict=False):
            if isinstance(element, dict) and isinstance(slot, dict):
                _copy(element, slot, rest)


def _drop(target: dict[str, Any], parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    if head not in target:
        return
    if not rest:
        del target[head]
        return
    value = target[head]
    if isinstance(value, dict):
        target[head] = dict(value)
        _drop(target[head], rest)
    elif isinstance(value, list):
        copies = [dict(item) if isinstance(item, dict) else item for item in value]
        for item in copies:
            if isinstance(item, dict):
                _drop(item, rest)
        target[head] = copies
