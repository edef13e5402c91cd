"""The design notes' own system, FastAPI + Celery, as dtq's second reference workload.

nginx → FastAPI servers (routes → services → queue service) → Celery on Redis with the
queues high, medium and low → Celery workers running a numpy VaR. Every contract line comes
from dtq_instrumentation: the API's middleware and the Celery signal handlers.
"""
