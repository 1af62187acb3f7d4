"""Health endpoint ``GET /healthz`` for load balancers, Docker and ``voice up``.

Owns what "healthy" means for the web process today: the database answers and its schema is
at the revision this code needs. Answers 200 ``{status: ok, database: ok}`` or 503 with the
reason in ``database``. Later issues add SIP workers and the task queue to the report.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from voice.store.db import check_database, describe_db_error
from voice.store.errors import StoreError
from voice.store.migrate import check_schema
from voice.web import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Report whether this process can serve: 200 when the database is usable, else 503."""
    engine = services().engine
    try:
        check_database(engine)
        check_schema(engine)
    except StoreError as exc:
        return jsonify(status="error", database=str(exc)), 503
    except SQLAlchemyError as exc:
        return jsonify(status="error", database=describe_db_error(engine, exc)), 503
    return jsonify(status="ok", database="ok"), 200
