"""The vendored JavaScript libraries of the staff pages, by their paths under ``static/``.

``scripts/setup.sh`` (``ensure_web_vendor``) fetches them from the npm registry at these
versions, checks each tarball against its pinned sha512 and unpacks the files named here
with the licence next to them (``static/vendor/`` is git-ignored). Templates load them with
``url_for('static', filename=...)``; the Content-Security-Policy allows scripts from this
site only, so nothing is loaded from a CDN.
"""

from __future__ import annotations

#: CodeMirror 5 (MIT): the flow editor, with its YAML mode and lint gutter
CODEMIRROR_VERSION = "5.65.21"
CODEMIRROR_DIR = f"vendor/codemirror-{CODEMIRROR_VERSION}"
CODEMIRROR_SCRIPTS = tuple(f"{CODEMIRROR_DIR}/{name}" for name in (
    "codemirror.js", "yaml.js", "lint.js", "active-line.js"))
CODEMIRROR_STYLES = tuple(f"{CODEMIRROR_DIR}/{name}" for name in ("codemirror.css", "lint.css"))

#: wavesurfer.js 7 (BSD-3-Clause): the QA player's waveforms, with regions and a timeline
WAVESURFER_VERSION = "7.12.12"
WAVESURFER_DIR = f"vendor/wavesurfer-{WAVESURFER_VERSION}"
WAVESURFER_SCRIPTS = tuple(f"{WAVESURFER_DIR}/{name}" for name in (
    "wavesurfer.min.js", "regions.min.js", "timeline.min.js"))
