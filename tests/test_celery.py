"""The pinned production packages: the CeleryExecutor loads under
Airflow's configuration, and Celery's result backend works on PostgreSQL with the URL form the
README documents (`db+postgresql+psycopg2://`: the driver named, since SQLAlchemy 2.1's default
for a bare `postgresql://` is psycopg 3), against a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid


def test_the_celery_executor_loads_with_a_redis_broker_and_a_postgresql_result_backend(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({"AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
                "AIRFLOW__CELERY__BROKER_URL": "redis://redis.internal:6379/0",
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+postgresql+psycopg2://airflow:pw@db.internal/airflow"})
    code = ("import json; from airflow.executors.executor_loader import ExecutorLoader; "
            "from airflow.providers.celery.executors.celery_executor_utils import app; "
            "print(json.dumps([ExecutorLoader.get_default_executor().__class__.__name__, "
            "app.conf.broker_url, app.conf.result_backend]))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    executor, broker, backend = json.loads(done.stdout.strip().splitlines()[-1])
    assert executor == "CeleryExecutor"
    assert broker == "redis://redis.internal:6379/0"
    assert backend == "db+postgresql+psycopg2://airflow:pw@db.internal/airflow"


def test_celery_results_round_trip_through_postgresql_with_the_documented_url(postgres):
    from celery import Celery

    postgres.create_database("celery_results")
    documented = postgres.uri("db+postgresql+psycopg2", "celery_results")
    app = Celery("vendor-audit-test", broker="memory://", backend=documented)
    task_id = str(uuid.uuid4())
    app.backend.store_result(task_id, {"rows": 42}, "SUCCESS")
    assert app.backend.get_task_meta(task_id)["result"] == {"rows": 42}
