"""The case desk in the browser: a FastAPI app of server-rendered pages (app.py), mounted by
Airflow's api-server through the plugin in `plugins/audit_desk.py`, which hands it the
signed-in user of Airflow's auth manager. This package never imports Airflow."""
