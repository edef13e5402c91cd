"""The log contract's event and field names (docs/log-contract.md, contract/vocabulary.ts).

Spelled once here for Python; tests/test_vocabulary.py checks every name against
docs/log-contract.schema.json, so a rename in the contract fails the Python tests.
"""

CONTRACT_VERSION = "1.1.0"


class EVENTS:
    """Values of `event.action` written by this package."""

    SERVICE_STARTED = "service.started"
    SERVICE_STOPPED = "service.stopped"
    HTTP_REQUEST_RECEIVED = "http.request.received"
    HTTP_REQUEST_COMPLETED = "http.request.completed"
    TASK_ENQUEUED = "task.enqueued"
    TASK_STARTED = "task.started"
    TASK_COMPLETED = "task.completed"
    TASK_FAILED = "task.failed"
    TASK_RETRY_SCHEDULED = "task.retry_scheduled"
    TASK_STALLED = "task.stalled"
    TASK_DEAD_LETTERED = "task.dead_lettered"
    TASK_STATUS_READ = "task.status_read"


class F:
    """Field names: flat dotted keys at the top level of each line."""

    TIMESTAMP = "@timestamp"
    MESSAGE = "message"
    LOG_LEVEL = "log.level"
    SERVICE_NAME = "service.name"
    SERVICE_INSTANCE = "service.instance"
    EVENT_ACTION = "event.action"
    EVENT_OUTCOME = "event.outcome"
    EVENT_DURATION = "event.duration"
    EVENT_SEQUENCE = "event.sequence"
    PROCESS_PID = "process.pid"
    CORRELATION_ID = "correlation_id"
    TASK_ID = "task_id"
    IDEMPOTENCY_KEY = "idempotency.key"
    HTTP_METHOD = "http.request.method"
    URL_PATH = "url.path"
    HTTP_ROUTE = "http.route"
    HTTP_STATUS = "http.response.status_code"
    CLIENT_ADDRESS = "client.address"
    USER_AGENT = "user_agent.original"
    SERVER_ADDRESS = "server.address"
    SERVER_PORT = "server.port"
    TASK_TYPE = "task.type"
    TASK_QUEUE = "task.queue"
    TASK_PRIORITY = "task.priority"
    TASK_STATUS = "task.status"
    TASK_ATTEMPT = "task.attempt"
    TASK_MAX_ATTEMPTS = "task.max_attempts"
    TASK_QUEUE_WAIT = "task.queue_wait"
    TASK_RETRY_DELAY = "task.retry_delay"
    TASK_REDELIVERED = "task.redelivered"
    ERROR_CODE = "error.code"
    ERROR_TYPE = "error.type"
    ERROR_MESSAGE = "error.message"
    ERROR_STACK = "error.stack_trace"
    # W3C trace context, in ECS's names (contract 1.1.0): every line of a traced request
    # carries them, so the explorer opens a trace by its id and other tools can join on it.
    TRACE_ID = "trace.id"
    SPAN_ID = "span.id"
