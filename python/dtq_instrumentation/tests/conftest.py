import io
import json
import sys
from pathlib import Path

import pytest

# The sources under test, ahead of any installed copy (pytest may run from another rootdir).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dtq_instrumentation import configure_logging  # noqa: E402

class Lines:
    """The contract lines written during a test, parsed."""

    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    def all(self) -> list[dict]:
        return [json.loads(text) for text in self._stream.getvalue().splitlines() if text]

    def of(self, action: str) -> list[dict]:
        return [line for line in self.all() if line["event.action"] == action]


@pytest.fixture
def lines() -> Lines:
    stream = io.StringIO()
    configure_logging("worker", "worker-t", stream=stream)
    return Lines(stream)


@pytest.fixture
def api_lines() -> Lines:
    stream = io.StringIO()
    configure_logging("api", "api-t", stream=stream)
    return Lines(stream)


@pytest.fixture(autouse=True)
def fresh_log_context():
    """Each test starts outside any request or task, whatever the previous one left bound."""
    from dtq_instrumentation.context import LogContext, bind, unbind

    token = bind(LogContext())
    yield
    unbind(token)
