"""The landing page ``GET /``: what this server is and where to go next.

Owns only the human entry point printed by ``voice up``; admin, QA and agent pages arrive in
later issues and will be linked from here.
"""

from __future__ import annotations

from flask import Blueprint, render_template_string

from voice import __version__
from voice.web import services

bp = Blueprint("home", __name__)

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>voice</title></head>
<body>
<h1>voice {{ version }}</h1>
<p>Self-hosted contact-center voice service.</p>
<ul>
  <li><a href="/healthz">/healthz</a> &mdash; health of this process and its database</li>
  <li><a href="/api/flows">/api/flows</a> &mdash; published IVR flows (JSON)</li>
</ul>
<h2>Published flows</h2>
{% if flows %}<table>
  <tr><th>id</th><th>name</th><th>version</th><th>numbers</th><th>published</th></tr>
  {% for flow in flows %}<tr>
    <td><a href="/api/flows/{{ flow.flow_id }}">{{ flow.flow_id }}</a></td>
    <td>{{ flow.name }}</td><td>{{ flow.version }}</td><td>{{ flow.numbers | join(", ") }}</td>
    <td>{{ flow.published_at.isoformat() }} by {{ flow.published_by }}</td>
  </tr>{% endfor %}
</table>{% else %}<p>None yet: run <code>voice flows publish</code>.</p>{% endif %}
</body>
</html>
"""


@bp.get("/")
def index() -> str:
    """A short HTML page linking the health check, the API and the published flows."""
    flows = services().flow_repository.list_current()
    return render_template_string(_PAGE, version=__version__, flows=flows)
