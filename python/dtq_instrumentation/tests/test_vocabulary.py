"""The Python names against the contract's JSON Schema: a rename there fails here."""

import json
import re
from pathlib import Path

from dtq_instrumentation.correlation import CORRELATION_ID_PATTERN
from dtq_instrumentation.vocabulary import CONTRACT_VERSION, EVENTS, F

REPO_ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((REPO_ROOT / "docs" / "log-contract.schema.json").read_text())


def test_every_event_is_one_the_schema_allows():
    allowed = set(SCHEMA["properties"]["event.action"]["enum"])
    ours = {value for name, value in vars(EVENTS).items() if not name.startswith("_")}
    assert ours <= allowed, ours - allowed


def test_every_field_is_declared_by_the_schema():
    declared = set(SCHEMA["properties"])
    ours = {value for name, value in vars(F).items() if not name.startswith("_")}
    assert ours <= declared, ours - declared


def test_the_contract_version_is_the_schemas():
    assert SCHEMA["$id"] == f"urn:dtq:log-contract:{CONTRACT_VERSION}:log-line"


def test_the_correlation_id_rule_is_the_one_in_contract_correlation_id_ts():
    source = (REPO_ROOT / "contract" / "correlation-id.ts").read_text()
    ts_pattern = re.search(r"CORRELATION_ID_PATTERN = /\^(.+)\$/;", source).group(1)
    assert ts_pattern == CORRELATION_ID_PATTERN.pattern
