import asyncio
import json

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from dtq_instrumentation import contract_log
from dtq_instrumentation.starlette import DtqMiddleware, contract_route
from dtq_instrumentation.vocabulary import EVENTS, F


def make_app() -> FastAPI:
    app = FastAPI()

    @app.post("/api/v1/tasks", status_code=201)
    async def create(request: Request):
        contract_log().event(EVENTS.TASK_ENQUEUED, "enqueued", {F.TASK_ID: "t-1"})
        return {"correlation_id": request.state.correlation_id}

    @app.get("/api/v1/tasks/{task_id}")
    async def read(task_id: str):
        return {"task_id": task_id}

    @app.get("/boom")
    async def boom():
        raise RuntimeError("kaput")

    app.add_middleware(DtqMiddleware)
    return app


def test_a_request_writes_received_and_completed_under_the_clients_id(api_lines):
    client = TestClient(make_app())
    answer = client.post("/api/v1/tasks", headers={"X-Request-ID": "ULTIMATE-SUCCESS-123"})
    assert answer.status_code == 201
    assert answer.json() == {"correlation_id": "ULTIMATE-SUCCESS-123"}
    assert answer.headers["x-request-id"] == "ULTIMATE-SUCCESS-123"
    received, enqueued, completed = api_lines.all()
    assert [received["event.action"], enqueued["event.action"], completed["event.action"]] == [
        "http.request.received", "task.enqueued", "http.request.completed"]
    assert {line["correlation_id"] for line in (received, enqueued, completed)} == {"ULTIMATE-SUCCESS-123"}
    assert received["http.request.method"] == "POST" and received["url.path"] == "/api/v1/tasks"
    assert completed["http.response.status_code"] == 201 and completed["event.duration"] > 0
    assert completed["http.route"] == "/api/v1/tasks"


def test_a_hostile_id_is_replaced_and_never_logged(api_lines):
    client = TestClient(make_app())
    answer = client.post("/api/v1/tasks", headers={"X-Request-ID": "evil id;<script>"})
    generated = answer.headers["x-request-id"]
    assert len(generated) == 32 and "evil" not in "".join(str(l) for l in api_lines.all())
    assert {line["correlation_id"] for line in api_lines.all()} == {generated}


def test_a_status_poll_names_its_task_on_both_request_lines(api_lines):
    TestClient(make_app()).get("/api/v1/tasks/abc-123")
    received, completed = api_lines.all()
    for line in (received, completed):
        assert line["task_id"] == "abc-123" and line["http.route"] == "/api/v1/tasks/:task_id"


def test_a_percent_encoded_poll_names_the_task_the_route_reads_on_both_lines(api_lines):
    # What uvicorn passes for GET /api/v1/tasks/caf%C3%A9%2541: `path` decoded once, as ASGI
    # specifies (the test client decodes twice, so the scope is built here).
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": "/api/v1/tasks/café%41", "raw_path": b"/api/v1/tasks/caf%C3%A9%2541",
             "root_path": "", "query_string": b"", "headers": [], "client": ("127.0.0.1", 1), "server": ("t", 80)}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(make_app()(scope, receive, send))
    assert json.loads(sent[-1]["body"]) == {"task_id": "café%41"}
    received, completed = api_lines.all()
    assert received["task_id"] == completed["task_id"] == "café%41"


def test_the_trace_context_continues_the_callers_trace(api_lines):
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    TestClient(make_app()).get("/api/v1/tasks/x", headers={"traceparent": parent})
    for line in api_lines.all():
        assert line["trace.id"] == "4bf92f3577b34da6a3ce929d0e0e4736" and line["span.id"] != "00f067aa0ba902b7"


def test_an_unhandled_error_is_logged_as_a_500_with_its_error(api_lines):
    TestClient(make_app(), raise_server_exceptions=False).get("/boom")
    completed = api_lines.of("http.request.completed")[0]
    assert completed["http.response.status_code"] == 500 and completed["log.level"] == "error"
    assert completed["error.type"] == "RuntimeError" and completed["error.message"] == "kaput"


def test_routes_are_written_in_the_contracts_form():
    assert contract_route("/api/v1/tasks/{task_id}") == "/api/v1/tasks/:task_id"
    assert contract_route("/files/{path:path}") == "/files/:path"


def test_an_idempotency_key_is_logged_only_when_printable(api_lines):
    client = TestClient(make_app())
    client.post("/api/v1/tasks", headers={"Idempotency-Key": "order-42"})
    client.post("/api/v1/tasks", headers={"Idempotency-Key": "x" * 300})
    first, second = api_lines.of("http.request.received")
    assert first["idempotency.key"] == "order-42" and "idempotency.key" not in second
