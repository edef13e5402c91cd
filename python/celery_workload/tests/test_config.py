import pytest

from celery_workload.config import ConfigError, load_settings


def test_defaults_match_the_typescript_stack():
    settings = load_settings({})
    assert settings.redis_url == "redis://127.0.0.1:6379" and settings.log_dir == "var/logs"
    assert (settings.visibility_timeout_s, settings.retry_backoff_s, settings.max_retries) == (30, 1, 3)
    assert settings.faults is False and settings.log_stdout is True


def test_a_bad_value_names_the_variable_and_what_it_accepts():
    with pytest.raises(ConfigError, match=r"DTQ_API_PORT='http' is not a whole number; expected 0 to 65535"):
        load_settings({"DTQ_API_PORT": "http"})
    with pytest.raises(ConfigError, match=r"DTQ_CELERY_CONCURRENCY=0 is out of range; expected 1 to 64"):
        load_settings({"DTQ_CELERY_CONCURRENCY": "0"})


def test_without_dtq_instance_a_process_is_named_for_its_role_and_host():
    assert load_settings({"DTQ_HOST_NAME": "web-3"}).instance == "api-1@web-3"
    assert load_settings({"DTQ_HOST_NAME": "web-3"}, role="worker").instance == "worker-1@web-3"
    assert load_settings({"DTQ_INSTANCE": "worker-2"}, role="worker").instance == "worker-2"
