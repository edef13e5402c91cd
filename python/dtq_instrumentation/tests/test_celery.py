"""The signal handlers, driven the way Celery drives them (publish headers, requests, retries)."""

from types import SimpleNamespace

import pytest

from dtq_instrumentation import LogContext, bound
from dtq_instrumentation.celery import HEADER_ATTEMPT, CeleryInstrumentation


class Retry(Exception):
    def __init__(self, exc, when):
        super().__init__(str(exc))
        self.exc, self.when = exc, when


def fake_task(**request):
    base = dict(id="t-1", retries=0, delivery_info={"routing_key": "high", "redelivered": False}, eta=None)
    base.update(request)
    return SimpleNamespace(name="tasks.calculate_var", request=SimpleNamespace(**base))


@pytest.fixture
def hooks():
    return CeleryInstrumentation(task_type=lambda name: name.rsplit(".", 1)[-1])


def publish(hooks, headers, kwargs=None, priority=10):
    hooks.before_task_publish(sender=headers["task"], body=((), kwargs or {}, {}), headers=headers,
                              properties={"priority": priority})
    hooks.after_task_publish(sender=headers["task"], headers=headers, routing_key="high")


def test_publish_stamps_the_message_and_logs_the_enqueue_after_it(hooks, lines):
    headers = {"id": "t-1", "task": "tasks.calculate_var", "retries": 0}
    with bound(LogContext(correlation_id="req-1")):
        publish(hooks, headers)
    assert headers["dtq_correlation_id"] == "req-1" and headers["dtq_priority"] == 10
    [line] = lines.of("task.enqueued")
    assert line["task_id"] == "t-1" and line["correlation_id"] == "req-1"
    assert line["task.queue"] == "high" and line["task.priority"] == "10" and line["task.type"] == "calculate_var"


def test_an_application_names_its_message_priorities_as_the_contract_does(lines):
    hooks = CeleryInstrumentation(priority_name={10: "high"}.get)
    publish(hooks, {"id": "t-1", "task": "tasks.calculate_var", "retries": 0}, priority=10)
    assert lines.of("task.enqueued")[0]["task.priority"] == "high"


def test_the_correlation_id_in_the_task_kwargs_wins_as_in_the_design_notes(hooks, lines):
    headers = {"id": "t-1", "task": "tasks.calculate_var", "retries": 0}
    publish(hooks, headers, kwargs={"correlation_id": "ULTIMATE-SUCCESS-123"})
    assert lines.of("task.enqueued")[0]["correlation_id"] == "ULTIMATE-SUCCESS-123"


def test_an_attempt_logs_started_with_its_queue_wait_then_completed(hooks, lines):
    headers = {"id": "t-1", "task": "tasks.calculate_var", "retries": 0}
    publish(hooks, headers, kwargs={"correlation_id": "req-1"})
    task = fake_task(dtq_published_at=headers["dtq_published_at"] - 0.25)
    hooks.task_prerun(task_id="t-1", task=task, kwargs={"correlation_id": "req-1"})
    hooks.task_postrun(task_id="t-1", task=task, state="SUCCESS")
    [started] = lines.of("task.started")
    [completed] = lines.of("task.completed")
    assert started["task.attempt"] == 1 and started["task.queue"] == "high" and started["correlation_id"] == "req-1"
    assert 250_000_000 <= started["task.queue_wait"] < 10_000_000_000
    assert "task.redelivered" not in started
    assert completed["task.attempt"] == 1 and completed["event.duration"] >= 0 and completed["correlation_id"] == "req-1"
    # The dashboards count completions per type and per queue, as for the Node workload's lines.
    assert completed["task.type"] == "calculate_var" and completed["task.queue"] == "high"


def test_a_retry_logs_the_failed_attempt_and_its_backoff_and_numbers_the_next(hooks, lines):
    task = fake_task()
    hooks.task_prerun(task_id="t-1", task=task, kwargs={})
    retry_headers = {"id": "t-1", "task": "tasks.calculate_var", "retries": 1}
    hooks.before_task_publish(sender="x", body=((), {}, {}), headers=retry_headers, properties={})
    hooks.after_task_publish(sender="x", headers=retry_headers, routing_key="high")
    hooks.task_retry(request=task.request, reason=Retry(TimeoutError("market data timed out"), 2))
    hooks.task_postrun(task_id="t-1", task=task, state="RETRY")
    assert retry_headers[HEADER_ATTEMPT] == 2
    assert lines.of("task.enqueued") == []  # a retry is not a second enqueue
    [failed] = lines.of("task.failed")
    [scheduled] = lines.of("task.retry_scheduled")
    assert failed["task.attempt"] == 1 and failed["error.type"] == "TimeoutError"
    assert failed["error.message"] == "market data timed out"
    assert scheduled["task.retry_delay"] == 2_000_000_000
    for line in (failed, scheduled):
        assert line["task.type"] == "calculate_var" and line["task.queue"] == "high"
    second = fake_task(retries=1, dtq_attempt=2)
    hooks.task_prerun(task_id="t-1", task=second, kwargs={})
    assert lines.of("task.started")[-1]["task.attempt"] == 2


def test_a_redelivered_message_reports_the_lost_attempt_and_counts_one_more(hooks, lines):
    task = fake_task(delivery_info={"routing_key": "high", "redelivered": True}, dtq_published_at=1.0)
    hooks.task_prerun(task_id="t-1", task=task, kwargs={})
    [stalled] = lines.of("task.stalled")
    [started] = lines.of("task.started")
    assert stalled["task.attempt"] == 1 and stalled["log.level"] == "warn"
    assert stalled["task.type"] == "calculate_var" and stalled["task.queue"] == "high"
    assert started["task.attempt"] == 2 and started["task.redelivered"] is True
    assert "task.queue_wait" not in started


def test_a_final_failure_and_a_revoke_are_failures(hooks, lines):
    task = fake_task()
    hooks.task_prerun(task_id="t-1", task=task, kwargs={})
    hooks.task_failure(task_id="t-1", exception=ValueError("no positions"))
    hooks.task_postrun(task_id="t-1", task=task, state="FAILURE")
    hooks.task_revoked(request=SimpleNamespace(id="t-2", kwargs={"correlation_id": "req-2"}), terminated=True, signum=9)
    failed, revoked = lines.of("task.failed")
    assert failed["task_id"] == "t-1" and failed["error.type"] == "ValueError" and failed["task.attempt"] == 1
    assert failed["task.type"] == "calculate_var" and failed["task.queue"] == "high"
    assert revoked["task_id"] == "t-2" and revoked["error.code"] == "DTQ_ERR_TASK_REVOKED"
    assert revoked["correlation_id"] == "req-2"
    assert lines.of("task.completed") == []


def test_a_dead_letter_names_the_queue_it_came_from(hooks, lines):
    task = fake_task()
    hooks.task_prerun(task_id="t-1", task=task, kwargs={})
    hooks.dead_lettered("t-1", queue="high", dead_letter_queue="dead_letter", exc=ValueError("poison"))
    [line] = lines.of("task.dead_lettered")
    assert line["task.queue"] == "high" and line["task.attempt"] == 1 and line["error.type"] == "ValueError"
    assert line["task.type"] == "calculate_var"


def test_the_running_tasks_code_can_read_its_attempt_number(hooks, lines):
    from dtq_instrumentation import current

    task = fake_task(delivery_info={"routing_key": "high", "redelivered": True})
    hooks.task_prerun(task_id="t-1", task=task, kwargs={})
    assert current().attempt == 2 and current().task_id == "t-1"
    hooks.task_postrun(task_id="t-1", task=task, state="SUCCESS")
    assert current().attempt is None
