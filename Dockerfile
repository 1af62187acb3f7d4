# One image for every process of the voice service (web, sip, worker); docker-compose.yml
# picks the process with `command:`. The default command serves the web process.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Prompts (espeak-ng), audio checks (sox) and the dispatcher in front of the SIP workers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng sox kamailio \
    && rm -rf /var/lib/apt/lists/*

# Editable install on purpose: settings and gunicorn look for config/ next to the voice
# package (the project root), so the code must run from /app, not from site-packages.
COPY pyproject.toml README.md ./
COPY voice ./voice
COPY webhooks ./webhooks
COPY config ./config
COPY ivr_flows ./ivr_flows
COPY scripts ./scripts
RUN pip install -e .
# The agent desktop's browser phone: the pinned Twilio Voice SDK from the npm registry,
# checked against its sha512 (scripts/setup.sh ensure_web_vendor).
RUN bash scripts/setup.sh ensure_web_vendor

RUN useradd --system --home-dir /app --shell /usr/sbin/nologin voice \
    && mkdir -p /data/recordings \
    && chown -R voice:voice /data

ENV VOICE_DATA_DIR=/data \
    VOICE_WEB_HOST=0.0.0.0 \
    VOICE_WEB_PORT=8000

USER voice
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"

CMD ["gunicorn", "-c", "config/gunicorn.conf.py"]
