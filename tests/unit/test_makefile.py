"""`make run` passes its ports to the app: "Set up a tablet" shows the addresses it serves on."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def serve_recipe(*settings: str) -> str:
    """What `make serve` would run (make -n prints it and runs nothing)."""
    return subprocess.run(["make", "-n", "-C", str(REPO), "serve", *settings], capture_output=True, text=True,
                          check=True).stdout


def test_make_run_without_https_passes_its_port_and_says_no_https_is_served():
    """The page pointed tablets at :5000 and :5443 whatever PORT was, and HTTPS was not served."""
    recipe = serve_recipe("PORT=5333")
    assert "KIOSK_HTTP_PORT=5333 KIOSK_HTTPS_PORT=0 " in recipe and "--bind 0.0.0.0:5333" in recipe


def test_make_run_with_https_passes_both_ports():
    recipe = serve_recipe("HTTPS=1", "PORT=5333", "HTTPS_PORT=5334")
    assert "KIOSK_HTTP_PORT=5333 KIOSK_HTTPS_PORT=5334" in recipe
