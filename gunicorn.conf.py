"""Gunicorn settings of the production image: gunicorn --config gunicorn.conf.py anyang_hte.wsgi:application

Connections: every thread of every worker may hold one PostgreSQL connection (CONN_MAX_AGE keeps it
open), so WEB_WORKERS × WEB_THREADS, plus the Celery worker's concurrency, must stay below the server's
max_connections (see the README's deployment section).
"""

import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")

# Processes × threads: 3 × 4 answers twelve requests at once on a two-core server. Threads (gthread)
# because a request mostly waits on PostgreSQL.
workers = int(os.environ.get("WEB_WORKERS", "3"))
threads = int(os.environ.get("WEB_THREADS", "2"))
worker_class = "gthread" if threads > 1 else "sync"

# A request gets 60 s, then its worker is killed and restarted. Set deliberately: the long work (imports
# and exports above their thresholds, the indicator rollup, reminders) runs as Celery jobs that the page
# follows with a progress bar, so no page needs more than a few seconds; one that hangs for a minute is
# stuck (a lock, a lost connection) and is better ended than left holding a worker.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
# On a restart or deploy (SIGTERM) a worker finishes the requests it has for up to this long.
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "30"))
keepalive = 5

# Each worker is replaced after about this many requests (with jitter, so they do not all restart
# together): bounds any slow memory growth of a long-running process.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("WEB_MAX_REQUESTS_JITTER", "100"))

# Access and error logs to stdout/stderr, where `docker compose logs` reads them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")

# The workers' heartbeat files in memory, not on the container's overlay disk (which can stall them).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No control socket: its default place is under $HOME, which the unprivileged app user cannot write.
control_socket_disable = True
