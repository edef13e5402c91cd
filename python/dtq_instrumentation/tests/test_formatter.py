import io
import json
import logging
import os
import re

from dtq_instrumentation import LogContext, bound, configure_logging, contract_log
from dtq_instrumentation.correlation import child_trace_context
from dtq_instrumentation.formatter import iso_millis, log_file_path
from dtq_instrumentation.vocabulary import EVENTS, F

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def test_a_line_carries_every_field_the_contract_asks_of_every_line(lines):
    contract_log().event(EVENTS.TASK_STARTED, "task 1 started", {F.TASK_ID: "1", F.TASK_ATTEMPT: 1})
    [line] = lines.all()
    assert TIMESTAMP.fullmatch(line["@timestamp"])
    assert line["service.name"] == "worker" and line["service.instance"] == "worker-t"
    assert line["event.action"] == "task.started" and line["task_id"] == "1"
    assert isinstance(line["event.sequence"], int) and line["process.pid"] == os.getpid()
    assert line["log.level"] == "info" and line["message"] == "task 1 started"


def test_the_sequence_counts_up_within_the_process(lines):
    for i in range(3):
        contract_log().event(EVENTS.TASK_STARTED, "x", {F.TASK_ID: str(i)})
    seqs = [line["event.sequence"] for line in lines.all()]
    assert seqs == list(range(seqs[0], seqs[0] + 3))


def test_lines_inside_a_context_carry_its_correlation_and_trace_ids(lines):
    trace = child_trace_context(None)
    with bound(LogContext(correlation_id="req-1", trace=trace)):
        contract_log().event(EVENTS.TASK_STATUS_READ, "read", {F.TASK_ID: "t"})
    contract_log().event(EVENTS.TASK_STATUS_READ, "read", {F.TASK_ID: "t"})
    inside, outside = lines.all()
    assert inside["correlation_id"] == "req-1" and inside["trace.id"] == trace.trace_id
    assert "correlation_id" not in outside and "trace.id" not in outside


def test_none_fields_are_left_out_and_levels_use_the_contract_names(lines):
    contract_log().event(EVENTS.TASK_FAILED, "boom", {F.TASK_ID: "1", F.ERROR_CODE: None}, level=logging.ERROR)
    [line] = lines.all()
    assert "error.code" not in line and line["log.level"] == "error"


def test_timestamps_are_utc_with_milliseconds():
    assert iso_millis(1796115600.0149) == "2026-12-01T09:00:00.014Z"


def test_a_log_directory_gets_one_file_per_instance(tmp_path):
    log = configure_logging("api", "api-7", log_dir=tmp_path)
    log.event(EVENTS.SERVICE_STARTED, "up")
    [text] = log_file_path(tmp_path, "api-7").read_text().splitlines()
    assert json.loads(text)["service.instance"] == "api-7"
    # Configuring again replaces the handler instead of doubling every line.
    log = configure_logging("api", "api-7", log_dir=tmp_path, stream=io.StringIO())
    log.event(EVENTS.SERVICE_STARTED, "again")
    assert len(log_file_path(tmp_path, "api-7").read_text().splitlines()) == 2
