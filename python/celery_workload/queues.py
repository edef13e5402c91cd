"""The three queues of the design notes and the priority each stands for."""

QUEUES = ("high", "medium", "low")
PRIORITY = {"high": 10, "medium": 5, "low": 1}
_PRIORITY_NAMES = {value: name for name, value in PRIORITY.items()}
# Where a job given up for good goes (a Redis list the operator can inspect and replay).
DEAD_LETTER_KEY = "dtq:celery:dead_letter"
DEAD_LETTER_QUEUE = "dead_letter"
# Celery task names, as in the design notes (`tasks.calculate_var`).
TASK_NAMES = {"calculate_var": "tasks.calculate_var"}


def priority_name(priority: int) -> str:
    """The requested priority a message priority stands for: the contract's `task.priority`."""
    return _PRIORITY_NAMES.get(priority, str(priority))


def task_type(task_name: str) -> str:
    """The contract's `task.type` of a Celery task name: `tasks.calculate_var` → `calculate_var`."""
    return task_name.rsplit(".", 1)[-1]
