"""Routing and request validation driven by the discovery documents shipped in googleapiclient.

The fake knows only what the real client knows: the method table, parameter specs and schemas of
``gmail.v1.json`` and ``calendar.v3.json``. A request that the real API would reject for its
shape (unknown query parameter, bad enum value, unknown body field) is rejected here too.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import googleapiclient.discovery_cache

from .errors import ApiError, bad_request

DOCUMENTS = ("gmail.v1", "calendar.v3")
_PARAM = re.compile(r"\{(\+?)([^}]+)\}")


@dataclass
class Route:
    method_id: str
    http_method: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]
    doc: dict[str, Any] = field(repr=False)

    @property
    def scopes(self) -> list[str]:
        return self.spec.get("scopes", [])


@functools.cache
def load_document(name: str) -> dict[str, Any]:
    folder = Path(googleapiclient.discovery_cache.__file__).parent / "documents"
    return json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))


def _compile(service_path: str, path: str) -> re.Pattern[str]:
    out, pos = [], 0
    for m in _PARAM.finditer(path):
        out.append(re.escape(path[pos : m.start()]))
        out.append(f"(?P<{m.group(2)}>.+)" if m.group(1) else f"(?P<{m.group(2)}>[^/]+)")
        pos = m.end()
    out.append(re.escape(path[pos:]))
    return re.compile("/" + re.escape(service_path) + "".join(out) + "$")


def _walk(resources: dict[str, Any]):
    for resource in resources.values():
        yield from resource.get("methods", {}).values()
        yield from _walk(resource.get("resources", {}))


class Discovery:
    """The method table of the faked APIs, and the checks made against it."""

    def __init__(self, names: tuple[str, ...] = DOCUMENTS) -> None:
        self.routes: list[Route] = []
        for name in names:
            doc = load_document(name)
            for spec in _walk(doc["resources"]):
                pattern = _compile(doc["servicePath"], spec["path"])
                self.routes.append(Route(spec["id"], spec["httpMethod"], pattern, spec, doc))
        # Literal segments win over parameters ("drafts/send" before "drafts/{id}").
        self.routes.sort(key=lambda r: (r.pattern.pattern.count("(?P<"), -len(r.pattern.pattern)))

    def match(self, verb: str, path: str) -> tuple[Route, dict[str, str]]:
        for route in self.routes:
            m = route.pattern.match(path)
            if m and route.http_method == verb:
                return route, {k: unquote(v) for k, v in m.groupdict().items()}
        raise ApiError(404, "notFound", f"Method not found: {verb} {path}")

    def parse_params(self, route: Route, query: dict[str, list[str]]) -> dict[str, Any]:
        """Check query parameters against the method's spec; return them typed."""
        specs = dict(route.doc.get("parameters", {}))
        specs.update(route.spec.get("parameters", {}))
        params: dict[str, Any] = {}
        for name, values in query.items():
            spec = specs.get(name)
            if spec is None or spec.get("location") == "path":
                raise bad_request(
                    f'Invalid JSON payload received. Unknown name "{name}": '
                    "Cannot bind query parameter. "
                    f"Field '{name}' could not be found in request message.",
                    reason="invalid",
                )
            typed = [_convert(name, spec, v) for v in values]
            params[name] = typed if spec.get("repeated") else typed[-1]
        for name, spec in route.spec.get("parameters", {}).items():
            if spec.get("required") and spec.get("location") == "query" and name not in params:
                raise bad_request(f"Required parameter: {name}", reason="required")
        params.pop("alt", None)
        return params

    def check_body(self, route: Route, body: Any) -> None:
        request = route.spec.get("request")
        if request is None:
            if body not in (None, {}):
                raise bad_request(f"{route.method_id} takes no request body.")
            return
        if body is None:
            return
        _check_value(route.doc["schemas"], request, body, "")


def _convert(name: str, spec: dict[str, Any], value: str) -> Any:
    kind = spec.get("type")
    if kind == "integer":
        try:
            number = int(value)
        except ValueError:
            raise bad_request(f"Invalid value at '{name}' (TYPE_INT32), \"{value}\"") from None
        low, high = spec.get("minimum"), spec.get("maximum")
        if (low is not None and number < int(low)) or (high is not None and number > int(high)):
            raise bad_request(f"Invalid value '{value}' for {name}: out of range", "invalid")
        return number
    if kind == "boolean":
        if value not in ("true", "false"):
            raise bad_request(f"Invalid value at '{name}' (TYPE_BOOL), \"{value}\"")
        return value == "true"
    if "enum" in spec and value not in spec["enum"]:
        raise bad_request(
            f"Invalid value at '{name}', \"{value}\": expected one of {spec['enum']}", "invalid"
        )
    if spec.get("format") == "date-time":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise bad_request("Bad Request")
    return value


def _check_value(schemas: dict[str, Any], schema: dict[str, Any], value: Any, where: str) -> None:
    if "$ref" in schema:
        schema = schemas[schema["$ref"]]
    kind = schema.get("type")
    if kind == "object" and isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = f"{where}.{key}" if where else key
            if props is not None and key in props:
                _check_value(schemas, props[key], item, sub)
            elif extra is not None:
                _check_value(schemas, extra, item, sub)
            else:
                at = f" at '{where}'" if where else ""
                raise bad_request(
                    f'Invalid JSON payload received. Unknown name "{key}"{at}: Cannot find field.',
                    reason="invalid",
                )
    elif kind == "object" and value is not None:
        raise bad_request(f"Invalid JSON payload received. '{where}' must be an object.")
    elif kind == "array" and isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(schemas, schema.get("items", {}), item, f"{where}[{index}]")
    elif kind == "array" and value is not None:
        raise bad_request(f"Invalid JSON payload received. '{where}' must be a list.")
