"""The vendored JavaScript libraries: setup.sh pins the versions the pages load, and a set-up
checkout has every file the pages name (the test command runs ensure_web_vendor first)."""

from __future__ import annotations

from voice.settings import PROJECT_ROOT
from voice.web import vendor

STATIC = PROJECT_ROOT / "voice" / "web" / "static"


def test_setup_script_pins_the_versions_the_pages_load() -> None:
    setup = (PROJECT_ROOT / "scripts" / "setup.sh").read_text()

    assert f"CODEMIRROR_VERSION={vendor.CODEMIRROR_VERSION}\n" in setup
    assert f"WAVESURFER_VERSION={vendor.WAVESURFER_VERSION}\n" in setup
    for path in (*vendor.CODEMIRROR_SCRIPTS, *vendor.CODEMIRROR_STYLES,
                 *vendor.WAVESURFER_SCRIPTS):
        name = path.rsplit("/", 1)[1]
        assert f"/{name}\"" in setup, f"setup.sh does not unpack {name}"


def test_every_vendored_file_is_installed_with_its_licence() -> None:
    for path in (*vendor.CODEMIRROR_SCRIPTS, *vendor.CODEMIRROR_STYLES,
                 *vendor.WAVESURFER_SCRIPTS):
        assert (STATIC / path).stat().st_size > 1000, path
    for folder in (vendor.CODEMIRROR_DIR, vendor.WAVESURFER_DIR):
        licence = (STATIC / folder / "LICENSE").read_text()
        assert "Copyright" in licence and "permission" in licence.lower(), folder
