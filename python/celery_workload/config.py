"""Settings from the environment, the same variables the TypeScript workload reads."""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass


class ConfigError(ValueError):
    """A variable holds a value the workload cannot use; the message names it and what is expected."""

    code = "DTQ_ERR_CONFIG_INVALID"


def _int(env: dict, name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number; expected {low} to {high}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range; expected {low} to {high}")
    return value


@dataclass(frozen=True)
class Settings:
    redis_url: str
    log_dir: str
    instance: str
    log_stdout: bool
    faults: bool
    api_host: str
    api_port: int
    concurrency: int
    # Seconds an unacknowledged message stays with a worker before the broker hands it to
    # another: how long a job of a worker that died waits for its redelivery.
    visibility_timeout_s: int
    retry_backoff_s: int
    max_retries: int


def default_instance(name: str, env: dict) -> str:
    """`<name>@<host>` (`worker-1@web-3`), as contract/host.ts names a process without DTQ_INSTANCE,
    so the same default on two hosts names two lanes and two log files."""
    host = env.get("DTQ_HOST_NAME") or socket.gethostname()
    return f"{name}@{re.sub(r'[^A-Za-z0-9._-]', '-', host)}"


def load_settings(env: dict | None = None, *, role: str = "api") -> Settings:
    """The settings of an `api` or `worker` process (the role names its default instance)."""
    env = dict(os.environ if env is None else env)
    return Settings(
        redis_url=env.get("DTQ_REDIS_URL") or "redis://127.0.0.1:6379",
        log_dir=env.get("DTQ_LOG_DIR") or "var/logs",
        instance=env.get("DTQ_INSTANCE") or default_instance(f"{role}-1", env),
        log_stdout=env.get("DTQ_LOG_STDOUT", "1") != "0",
        faults=env.get("DTQ_FAULTS") == "1",
        api_host=env.get("DTQ_API_HOST") or "127.0.0.1",
        api_port=_int(env, "DTQ_API_PORT", 3000, 0, 65535),
        concurrency=_int(env, "DTQ_CELERY_CONCURRENCY", 2, 1, 64),
        visibility_timeout_s=_int(env, "DTQ_CELERY_VISIBILITY_TIMEOUT_S", 30, 1, 86_400),
        retry_backoff_s=_int(env, "DTQ_CELERY_RETRY_BACKOFF_S", 1, 1, 3600),
        max_retries=_int(env, "DTQ_CELERY_MAX_RETRIES", 3, 0, 100),
    )
