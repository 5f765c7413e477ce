"""The baseline for bench/checkin_bench.py: Flask with one endpoint and nothing else.

Served by the same gunicorn settings as the kiosk, so the ratio between the two measures what the
kiosk's own work (database write, template, session, CSRF) costs on top of Flask itself."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "<!doctype html><p>ok</p>"
