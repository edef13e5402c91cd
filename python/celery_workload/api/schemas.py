"""Request and response bodies (pydantic), as in the design notes."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

MAX_DATA_BYTES = 1_000_000


class TaskSubmitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task_type: Literal["calculate_var"]
    data: dict[str, Any]
    priority: Literal["high", "medium", "low"] = "medium"

    @field_validator("data")
    @classmethod
    def validate_data(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value)) > MAX_DATA_BYTES:
            raise ValueError(f"data is larger than {MAX_DATA_BYTES} bytes of JSON")
        return value


class TaskCreateResponse(BaseModel):
    task_id: str
    status: str
    queue: str
