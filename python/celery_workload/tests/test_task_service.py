import io

import pytest

from celery_workload.api.schemas import TaskSubmitRequest
from celery_workload.services.task_service import InvalidTask, TaskService, WorkBudgetExceeded
from dtq_instrumentation import configure_logging

# The design notes' example request, verbatim.
EXAMPLE = {
    "task_type": "calculate_var",
    "data": {"portfolio_data": {"positions": [{"symbol": "AAPL", "quantity": 100, "price": 150.0}]}},
    "priority": "high",
}


class RecordingQueue:
    def __init__(self):
        self.sent = []

    def submit_task(self, **kwargs):
        self.sent.append(kwargs)
        return "task-1"

    def priority_of(self, queue):
        return {"high": 10, "medium": 5, "low": 1}[queue]

    def get_status(self, task_id):
        return {"task_id": task_id, "status": "STARTED"}


@pytest.fixture(autouse=True)
def quiet_log():
    configure_logging("api", "api-t", stream=io.StringIO())


def test_the_design_notes_example_goes_to_the_high_queue_with_priority_10_and_its_correlation_id():
    request = TaskSubmitRequest.model_validate(EXAMPLE)
    queue = RecordingQueue()
    answer = TaskService(queue).create_task(request.task_type, request.data, request.priority,
                                            correlation_id="ULTIMATE-SUCCESS-123")
    assert answer == {"task_id": "task-1", "status": "PENDING", "queue": "high"}
    [sent] = queue.sent
    assert sent["task_name"] == "tasks.calculate_var" and sent["queue"] == "high" and sent["priority"] == 10
    assert sent["correlation_id"] == "ULTIMATE-SUCCESS-123"


def test_invalid_positions_are_refused_before_anything_is_queued():
    queue = RecordingQueue()
    bad = {"portfolio_data": {"positions": [{"symbol": "X", "quantity": -1, "price": 1}]}}
    with pytest.raises(InvalidTask, match=r"positions\[0\]\.quantity"):
        TaskService(queue).create_task("calculate_var", bad)
    assert queue.sent == []


def test_simulations_out_of_range_are_refused_before_anything_is_queued():
    queue = RecordingQueue()
    for simulations in (0, 99, 1_000_001, 1e5, True, "100000"):
        data = {**EXAMPLE["data"], "num_simulations": simulations}
        with pytest.raises(InvalidTask, match="num_simulations"):
            TaskService(queue).create_task("calculate_var", data)
    assert queue.sent == []


def test_a_portfolio_too_large_for_its_simulations_is_refused_with_the_work_budget_code():
    queue = RecordingQueue()
    position = {"symbol": "X", "quantity": 1, "price": 1}
    big = {"portfolio_data": {"positions": [position] * 101}}
    with pytest.raises(WorkBudgetExceeded, match="101 positions") as refused:
        TaskService(queue).create_task("calculate_var", big)
    assert refused.value.code == "DTQ_ERR_API_WORK_BUDGET_EXCEEDED"
    assert queue.sent == []
    TaskService(queue).create_task("calculate_var", {**big, "num_simulations": 10_000})
    TaskService(queue).create_task("calculate_var", {"portfolio_data": {"positions": [position] * 100}})
    assert len(queue.sent) == 2


def test_fault_injection_is_refused_unless_enabled():
    data = {**EXAMPLE["data"], "fault": {"poison": True}}
    with pytest.raises(InvalidTask, match="DTQ_FAULTS=1"):
        TaskService(RecordingQueue()).create_task("calculate_var", data)
    TaskService(RecordingQueue(), allow_faults=True).create_task("calculate_var", data)


def test_a_status_read_speaks_the_contracts_words():
    stream = io.StringIO()
    configure_logging("api", "api-t", stream=stream)
    TaskService(RecordingQueue()).get_task("task-1")
    assert '"task.status":"running"' in stream.getvalue()
    assert '"event.action":"task.status_read"' in stream.getvalue()


def test_each_message_priority_is_logged_as_the_priority_that_was_requested():
    from celery_workload.queues import PRIORITY, priority_name

    assert {name: priority_name(value) for name, value in PRIORITY.items()} == {n: n for n in PRIORITY}
    assert priority_name(7) == "7"
