"""A local stand-in for the W&B GraphQL server, so the real `wandb.Api` runs in tests.

`wandb.Api(api_key=..., overrides={"base_url": standin.url})` sends its GraphQL POSTs (through the
wandb-core service it starts) to this server on 127.0.0.1. The answers follow the shapes the real
server gives to the queries wandb 0.31 sends: `Viewer`, `Runs` (full `RunFragment` or the
lazy `LightweightRunFragment`), `Run`, `GetSweep` / `GetSweepLegacy`. Run `config` and
`summaryMetrics` are JSON strings as on the wire; config values are wrapped as
`{"value": ..., "desc": null}`.

A run's logged rows (`history`) answer `sampledHistory` (in the runs query and in `run(name:)`) and
`history(samples:)` as W&B's server does: see tests/sources/wandb_standin_history.py.

Failures are injected per operation (HTTP status, GraphQL `errors`, delays) and every request is
recorded, with its Authorization header decoded, so tests can check what the client sent.

The stand-in speaks plain http on 127.0.0.1, where Sweepscope sends a key only when the operator
allows it: while it runs, it sets SWEEPSCOPE_ALLOW_HTTP_LOCALHOST=1 as such an operator would (and
puts the previous value back when it stops). Tests of the refusal remove it themselves.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import yaml

from tests.sources.wandb_standin_history import asked_fields, history_fields

LIGHTWEIGHT_FIELDS = (
    "id",
    "tags",
    "name",
    "displayName",
    "sweepName",
    "state",
    "group",
    "jobType",
    "commit",
    "readOnly",
    "createdAt",
    "heartbeatAt",
    "description",
    "notes",
    "historyLineCount",
    "user",
)
HEAVY_FIELDS = ("config", "systemMetrics", "summaryMetrics", "historyKeys")

# What the real server answers for these cases (status, message).
UNAUTHORIZED = (401, "user is not logged in")
PERMISSION_DENIED = (403, "permission denied")
PROJECT_NOT_FOUND = (404, "project not found")
RATE_LIMITED = (429, "rate limit exceeded")
SERVER_ERROR = (500, "internal server error")
OTHER_OPERATION = "(not GraphQL)"
ALLOW_HTTP_LOCALHOST = "SWEEPSCOPE_ALLOW_HTTP_LOCALHOST"  # lib.sources.wandb.hosts reads it


@dataclass
class StandinSweep:
    name: str
    config: Mapping[str, Any]
    state: str = "FINISHED"
    display_name: str | None = None
    created_at: str = "2025-03-17T14:30:00"
    raw_config: str | None = None  # stored text as is, e.g. YAML that does not parse

    def node(self, run_count: int) -> dict[str, Any]:
        method = self.config.get("method")
        return {
            "__typename": "Sweep",
            "id": base64.b64encode(f"Sweep:{self.name}".encode()).decode(),
            "name": self.name,
            "displayName": self.display_name,
            "method": method,
            "state": self.state,
            "description": None,
            "bestLoss": None,
            "config": self.raw_config
            if self.raw_config is not None
            else yaml.safe_dump(dict(self.config), sort_keys=False),
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
            "runCount": run_count,
            "runCountExpected": None,
        }


@dataclass
class StandinProject:
    entity: str
    name: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    sweeps: dict[str, StandinSweep] = field(default_factory=dict)
    readers: frozenset[str] | None = None  # usernames that may read it; None: public

    @property
    def internal_id(self) -> str:
        return base64.b64encode(f"Project:{self.entity}/{self.name}".encode()).decode()


@dataclass
class RecordedRequest:
    path: str
    operation: str
    variables: dict[str, Any]
    query: str
    api_key: str | None  # decoded from the Basic Authorization header
    headers: dict[str, str]


@dataclass
class Failure:
    """An injected failure for requests of one operation ("*" for any)."""

    operation: str
    status: int = 200
    message: str = ""
    times: int = 1  # how many matching requests fail; -1: all
    skip: int = 0  # let this many matching requests through first
    delay: float = 0.0  # seconds to wait before answering
    retry_after: int | None = None
    data_null: bool = True  # a GraphQL error answer carries `data: null`
    project: str | None = None  # only requests about this project; None: any


def wandb_run(
    run_id: str,
    *,
    config: Mapping[str, Any] | None = None,
    summary: Mapping[str, Any] | None = None,
    runtime: float = 60.0,
    **fields: Any,
) -> dict[str, Any]:
    """A run as the server stores it: config wrapped as `{desc, value}`, bookkeeping included."""
    wrapped: dict[str, Any] = {k: {"desc": None, "value": v} for k, v in (config or {}).items()}
    wrapped["_wandb"] = {
        "desc": None,
        "value": {"cli_version": "0.19.8", "python_version": "3.11.7", "t": {"1": [1, 55]}},
    }
    full_summary = {
        "_runtime": runtime,
        "_step": 9,
        "_timestamp": 1742222000.5,
        "_wandb": {"runtime": int(runtime)},
        **(summary or {}),
    }
    return stored_run(run_id, stored_config=wrapped, summary=full_summary, **fields)


def stored_run(
    run_id: str,
    *,
    stored_config: Mapping[str, Any],
    summary: Mapping[str, Any],
    state: str = "finished",
    sweep: str | None = None,
    display_name: str | None = None,
    group: str | None = None,
    tags: Iterable[str] = (),
    created_at: str = "2025-03-17T14:33:14",
    history: Iterable[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """A run from a config and summary exactly as stored (e.g. read from a real run's files).

    `history`: the rows the run logged, oldest first (each a dict of the logged keys and `_step`).
    """
    run: dict[str, Any] = {
        "name": run_id,
        "displayName": display_name or f"run-{run_id}",
        "state": state,
        "sweepName": sweep,
        "group": group,
        "tags": list(tags),
        "createdAt": created_at,
        "config": dict(stored_config),
        "summaryMetrics": dict(summary),
    }
    if history is not None:
        run["history"] = [dict(row) for row in history]
    return run


class WandbStandin:
    """A threaded HTTP server answering the GraphQL the real client sends."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self.users = dict(users)  # api key -> username (also that user's entity)
        self.projects: dict[tuple[str, str], StandinProject] = {}
        self.requests: list[RecordedRequest] = []
        self.failures: list[Failure] = []
        self.missing_project_as_404 = True  # the real server answers 404; older ones data: null
        self.bytes_sent = 0  # response bodies, for benchmarks
        self.largest_response = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._allowance_before: str | None = None

    # set-up
    def add_project(self, entity: str, name: str, *, readers: Iterable[str] | None = None) -> StandinProject:
        project = StandinProject(entity, name, readers=None if readers is None else frozenset(readers))
        self.projects[(entity, name)] = project
        return project

    def fail(self, operation: str, status: int = 200, message: str = "", **options: Any) -> Failure:
        failure = Failure(operation, status=status, message=message, **options)
        with self._lock:
            self.failures.append(failure)
        return failure

    def operations(self, project: str | None = None) -> list[str]:
        """GraphQL operation names received, in order; with `project`, leaving out other projects'."""
        graphql = [r for r in self.requests if r.operation != OTHER_OPERATION]
        if project is not None:
            graphql = [r for r in graphql if r.variables.get("project") in (project, None)]
        return [r.operation for r in graphql]

    def count(self, operation: str, project: str | None = None) -> int:
        """How many requests of one GraphQL operation arrived (of `project` alone, when given)."""
        return self.operations(project).count(operation)

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()
            self.bytes_sent = self.largest_response = 0

    def count_sent(self, size: int) -> None:
        with self._lock:
            self.bytes_sent += size
            self.largest_response = max(self.largest_response, size)

    # server life
    @property
    def url(self) -> str:
        assert self._server is not None, "start the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> WandbStandin:
        handler = type("Handler", (_Handler,), {"standin": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self._allowance_before = os.environ.get(ALLOW_HTTP_LOCALHOST)
        os.environ[ALLOW_HTTP_LOCALHOST] = "1"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            if self._allowance_before is None:
                os.environ.pop(ALLOW_HTTP_LOCALHOST, None)
            else:
                os.environ[ALLOW_HTTP_LOCALHOST] = self._allowance_before

    def __enter__(self) -> WandbStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # request handling
    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def take_failure(self, request: RecordedRequest) -> Failure | None:
        with self._lock:
            for failure in self.failures:
                if failure.operation not in (request.operation, "*") or failure.times == 0:
                    continue
                if failure.project is not None and request.variables.get("project") != failure.project:
                    continue
                if failure.skip > 0:
                    failure.skip -= 1
                    continue
                if failure.times > 0:
                    failure.times -= 1
                return failure
        return None

    def answer(self, request: RecordedRequest) -> tuple[int, dict[str, Any]]:
        username = self.users.get(request.api_key or "")
        if username is None:
            return _error(*UNAUTHORIZED)
        handler = _OPERATIONS.get(request.operation)
        if handler is None:
            return 400, {"errors": [{"message": f"Cannot query operation {request.operation!r}"}]}
        return handler(self, request, username)


def closed_port_url() -> str:
    """A base URL on which nothing listens: the client sees "connection refused"."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _error(status: int, message: str, path: list[str] | None = None) -> tuple[int, dict[str, Any]]:
    error: dict[str, Any] = {"message": message}
    if path:
        error["path"] = path
    return status, {"errors": [error], "data": None}


def _decode_basic_auth(header: str | None) -> str | None:
    if not header or not header.startswith("Basic "):
        return None
    user_and_key = base64.b64decode(header[6:]).decode()
    return user_and_key.split(":", 1)[1] if ":" in user_and_key else None


class _Handler(BaseHTTPRequestHandler):
    standin: WandbStandin
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm meets the
        # client's delayed ACK and every answer waits ~40 ms, which no real server does.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not self.path.startswith("/graphql"):
            # wandb-core also posts its own OpenTelemetry metrics to /sdk/otel/v1/metrics
            self.standin.record(self._recorded(OTHER_OPERATION, {}, body.decode("latin-1")))
            self._send(200, {})
            return
        payload = json.loads(body or b"{}")
        request = self._recorded(
            payload.get("operationName") or _operation_name(payload.get("query", "")),
            payload.get("variables") or {},
            payload.get("query", ""),
        )
        self.standin.record(request)
        failure = self.standin.take_failure(request)
        if failure is not None and failure.delay:
            time.sleep(failure.delay)
        if failure is not None and (failure.status != 200 or failure.message):
            status, answer = _error(failure.status, failure.message or "error")
            if not failure.data_null:
                answer.pop("data")
            self._send(status, answer, retry_after=failure.retry_after)
            return
        self._send(*self.standin.answer(request))

    def _recorded(self, operation: str, variables: dict[str, Any], query: str) -> RecordedRequest:
        return RecordedRequest(
            path=self.path,
            operation=operation,
            variables=variables,
            query=query,
            api_key=_decode_basic_auth(self.headers.get("Authorization")),
            headers={k: v for k, v in self.headers.items() if k.lower() != "authorization"},
        )

    def do_GET(self) -> None:
        self._send(404, {"errors": [{"message": "not found"}]})

    def _send(self, status: int, answer: Mapping[str, Any], retry_after: int | None = None) -> None:
        data = json.dumps(answer).encode()
        self.standin.count_sent(len(data))
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if retry_after is not None:
                self.send_header("Retry-After", str(retry_after))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _operation_name(query: str) -> str:
    for word in ("query", "mutation"):
        start = query.find(f"{word} ")
        if start >= 0:
            rest = query[start + len(word) + 1 :].lstrip()
            return rest.split("(")[0].split("{")[0].strip()
    return ""


# operations
def _viewer(standin: WandbStandin, request: RecordedRequest, username: str) -> tuple[int, dict[str, Any]]:
    viewer = {
        "id": base64.b64encode(f"User:{username}".encode()).decode(),
        "entity": username,
        "username": username,
        "email": f"{username}@example.com",
        "flags": None,
        "teams": {"edges": []},
    }
    return 200, {"data": {"viewer": viewer}}


def _readable_project(
    standin: WandbStandin, variables: Mapping[str, Any], username: str
) -> tuple[StandinProject | None, tuple[int, dict[str, Any]] | None]:
    project = standin.projects.get((variables.get("entity"), variables.get("project")))
    if project is None:
        if standin.missing_project_as_404:
            return None, _error(*PROJECT_NOT_FOUND, path=["project"])
        return None, (200, {"data": {"project": None}})
    if project.readers is not None and username not in project.readers:
        return None, _error(*PERMISSION_DENIED, path=["project"])
    return project, None


def _runs(standin: WandbStandin, request: RecordedRequest, username: str) -> tuple[int, dict[str, Any]]:
    project, refusal = _readable_project(standin, request.variables, username)
    if refusal is not None:
        return refusal
    assert project is not None
    try:
        selected = _filtered(project.runs, json.loads(request.variables.get("filters") or "{}"))
    except ValueError as exc:
        return 400, {"errors": [{"message": str(exc)}]}
    selected = sorted(
        selected, key=lambda r: r["createdAt"], reverse=request.variables.get("order") == "-created_at"
    )
    start = int(request.variables.get("cursor") or 0) if request.variables.get("cursor") else 0
    per_page = int(request.variables.get("perPage") or 50)
    page = selected[start : start + per_page]
    edges = [
        {"node": _asked_node(project, run, request), "cursor": str(start + i + 1)}
        for i, run in enumerate(page)
    ]
    end = start + len(page)
    runs = {"edges": edges, "pageInfo": {"endCursor": str(end), "hasNextPage": end < len(selected)}}
    answer = {"internalId": project.internal_id, "runCount": len(selected), "readOnly": False, "runs": runs}
    return 200, {"data": {"project": answer}}


def _run(standin: WandbStandin, request: RecordedRequest, username: str) -> tuple[int, dict[str, Any]]:
    project, refusal = _readable_project(standin, request.variables, username)
    if refusal is not None:
        return refusal
    assert project is not None
    match = [r for r in project.runs if r["name"] == request.variables.get("name")]
    node = _asked_node(project, match[0], request) if match else None
    return 200, {"data": {"project": {"run": node}}}


def _sweep(standin: WandbStandin, request: RecordedRequest, username: str) -> tuple[int, dict[str, Any]]:
    project, refusal = _readable_project(standin, request.variables, username)
    if refusal is not None:
        return refusal
    assert project is not None
    sweep = project.sweeps.get(request.variables.get("name", ""))
    if sweep is None:
        return 200, {"data": {"project": {"sweep": None}}}
    run_count = sum(1 for r in project.runs if r.get("sweepName") == sweep.name)
    node = sweep.node(run_count)
    if request.operation == "GetSweepLegacy":
        node = {k: node[k] for k in ("__typename", "id", "name", "state", "bestLoss", "config")}
    return 200, {"data": {"project": {"sweep": node}}}


_OPERATIONS = {
    "Viewer": _viewer,
    "GetViewer": _viewer,
    "GetDefaultEntity": _viewer,
    "Runs": _runs,
    "Run": _run,
    "RunSampledHistory": _run,  # run.history(keys=...)
    "RunFullHistory": _run,  # run.history()
    "RunsSampledHistory": _runs,  # Sweepscope's history query (lib/sources/history/wandb_api.py)
    "GetSweep": _sweep,
    "GetSweepLegacy": _sweep,
}


def _filtered(runs: list[dict[str, Any]], filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The subset of the server's Mongo-style filters that loading uses: sweep and group."""
    conditions = list(filters.get("$and", [])) if "$and" in filters else [filters] if filters else []
    selected = runs
    for condition in conditions:
        for key, wanted in condition.items():
            if key not in _FILTER_FIELDS:
                raise ValueError(f"stand-in does not filter on {key!r}")
            selected = [r for r in selected if r.get(_FILTER_FIELDS[key]) == wanted]
    return selected


_FILTER_FIELDS = {"sweep": "sweepName", "group": "group"}


def _asked_node(project: StandinProject, run: Mapping[str, Any], request: RecordedRequest) -> dict[str, Any]:
    """The run's node with the fields the query asks, history fields included."""
    node = _run_node(project, run, full="fragment RunFragment" in request.query)
    node = asked_fields(node, request.query)
    return {**node, **history_fields(run, request.query, request.variables)}


def _run_node(project: StandinProject, run: Mapping[str, Any], *, full: bool) -> dict[str, Any]:
    node: dict[str, Any] = {
        "projectId": 4242,
        "id": base64.b64encode(f"Run:v1:{run['name']}:{project.name}:{project.entity}".encode()).decode(),
        "tags": list(run.get("tags", [])),
        "name": run["name"],
        "displayName": run.get("displayName"),
        "sweepName": run.get("sweepName"),
        "state": run.get("state", "finished"),
        "group": run.get("group"),
        "jobType": None,
        "commit": None,
        "readOnly": False,
        "createdAt": run["createdAt"],
        "heartbeatAt": run["createdAt"],
        "description": None,
        "notes": None,
        "historyLineCount": len(run["history"]) if "history" in run else 10,
        "user": {"name": project.entity, "username": project.entity},
    }
    if full:
        summary = run.get("summaryMetrics", {})
        node["config"] = json.dumps(run.get("config", {}))
        node["summaryMetrics"] = json.dumps(summary)
        node["systemMetrics"] = json.dumps({"system.cpu": 12.5, "system.memory": 40.1})
        node["historyKeys"] = {
            "lastStep": 9,
            "keys": {k: {"typeCounts": [{"type": "number", "count": 10}]} for k in summary},
        }
    return node
