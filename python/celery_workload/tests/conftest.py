import sys
from pathlib import Path

# The workload runs with python/ as its working directory (`python -m celery_workload.api`).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
