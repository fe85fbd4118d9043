# One image for every Ungebot process; the command chooses: web (default), worker, scheduler,
# db upgrade, status, users ... (`ungebot --help`). Exactly the lock file's versions, hash-checked.
#   docker build -t ungebot .
#   docker run --env-file ungebot.env ungebot worker
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLOWS_DIR=/app/flows \
    PORT=8000

WORKDIR /app
COPY requirements.lock ./
RUN python -m pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md app.py worker.py ./
COPY bot ./bot
COPY handlers ./handlers
COPY flows ./flows
RUN python -m pip install --no-deps . \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin ungebot \
 && mkdir -p /app/instance && chown ungebot /app/instance

USER ungebot
EXPOSE 8000
# The web process answers /healthz when the database and Redis both answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/healthz', timeout=4)"]
ENTRYPOINT ["ungebot"]
CMD ["web"]
