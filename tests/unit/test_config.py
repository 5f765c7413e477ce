from kiosk import _instance_secret_key, create_app
from kiosk.core.config import env_overrides


def test_env_overrides_parse_json_values_and_rename_database_url():
    out = env_overrides(
        {
            "KIOSK_DATABASE_URL": "postgresql://kiosk@localhost/kiosk",
            "KIOSK_IDLE_SECONDS": "45",
            "KIOSK_SECURE_COOKIES": "true",
            "KIOSK_SECRET_KEY": "12345",
            "KIOSK_STATION": "demo",
            "PATH": "/bin",
        }
    )
    assert out == {
        "SQLALCHEMY_DATABASE_URI": "postgresql://kiosk@localhost/kiosk",
        "IDLE_SECONDS": 45,
        "SECURE_COOKIES": True,
        "SECRET_KEY": "12345",
        "STATION": "demo",
    }


def test_secret_key_is_generated_once_and_kept(tmp_path):
    key_file = tmp_path / "secret_key"
    first = _instance_secret_key(key_file)
    second = _instance_secret_key(key_file)
    assert len(first) == 64 and first == second
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_instance_config_and_environment_override_defaults(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("IDLE_SECONDS = 30\nSTATION = 'from-file'\n")
    monkeypatch.setenv("KIOSK_STATION", "from-env")
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    app = create_app()
    assert app.config["IDLE_SECONDS"] == 30
    assert app.config["STATION"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/kiosk.sqlite")
    assert (instance / "secret_key").exists()
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_an_empty_secret_key_file_is_refused_not_used(tmp_path):
    import pytest

    key_file = tmp_path / "secret_key"
    key_file.write_text("")
    with pytest.raises(RuntimeError, match="empty"):
        _instance_secret_key(key_file)


def test_database_url_in_instance_config_is_the_database_used(tmp_path, monkeypatch):
    """README: instance/config.py takes the same NAMEs as KIOSK_<NAME>. DATABASE_URL there was read
    but never used, so the app stayed on its own SQLite file without a word."""
    instance = tmp_path / "instance"
    instance.mkdir()
    elsewhere = tmp_path / "elsewhere.sqlite"
    (instance / "config.py").write_text(f"DATABASE_URL = 'sqlite:///{elsewhere}'\n")
    monkeypatch.delenv("KIOSK_DATABASE_URL", raising=False)
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{elsewhere}"
    # The environment still overrides the file.
    monkeypatch.setenv("KIOSK_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'env.sqlite'}"
