"""Pulling the night's files into the landing zone (sources.md): `sources.yaml` (config),
where a file lands and what the landing zone already holds (landing), the pull of one source
(fetch), the kinds of source (sftp, local, objects, sql) and a day's pull (pull).

Only this package imports Airflow's provider hooks, and only inside functions: the rest of
`audits` never imports airflow.
"""
