import click
import pytest

from kiosk import _instance_secret_key, create_app
from kiosk.core.config import env_overrides


def app_as_a_command_makes_it():
    """create_app() with the settings of this environment, as a `flask --app kiosk …` command makes
    it (a server would also check its database, which these tests do not set up)."""
    with click.Context(click.Command("test")).scope():
        return create_app()


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
    app = app_as_a_command_makes_it()
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
    assert app_as_a_command_makes_it().config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{elsewhere}"
    # The environment still overrides the file.
    monkeypatch.setenv("KIOSK_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    assert app_as_a_command_makes_it().config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'env.sqlite'}"


BAD_SETTINGS = [
    # What an operator may well type, and what the one line must name.
    ({"KIOSK_MAX_CONTENT_LENGTH": "32MB"}, "KIOSK_MAX_CONTENT_LENGTH is '32MB': write a whole number, such as 33554432."),
    ({"KIOSK_SECURE_COOKIES": "False"}, "KIOSK_SECURE_COOKIES is 'False': write true or false."),
    ({"KIOSK_SECURE_COOKIES": "off"}, "KIOSK_SECURE_COOKIES is 'off': write true or false."),
    ({"KIOSK_TLS_EXTRA_NAMES": "kiosk.lan"}, "KIOSK_TLS_EXTRA_NAMES is 'kiosk.lan': write a JSON list"),
    ({"KIOSK_TLS_EXTRA_NAMES": '"kiosk.local"'}, "KIOSK_TLS_EXTRA_NAMES is 'kiosk.local': write a JSON list"),
    ({"KIOSK_TRUSTED_PROXIES": "yes"}, "KIOSK_TRUSTED_PROXIES is 'yes': write a whole number"),
    ({"KIOSK_IDLE_SECONDS": "abc"}, "KIOSK_IDLE_SECONDS is 'abc': write a whole number, such as 90."),
    ({"KIOSK_IDLE_SECONDS": "-5"}, "KIOSK_IDLE_SECONDS is -5: write a whole number"),
    ({"KIOSK_HTTP_PORT": "70000"}, "KIOSK_HTTP_PORT is 70000: write a whole number, from 1 to 65535."),
    ({"KIOSK_HTTP_PORT": "0"}, "KIOSK_HTTP_PORT is 0: write a whole number, from 1 to 65535."),
    ({"KIOSK_DATABASE_URL": "db.example/kiosk"}, "KIOSK_DATABASE_URL is 'db.example/kiosk': write a database URL"),
    ({"KIOSK_DATABASE_URL": "postgres://kiosk:secret-pw@db/kiosk"}, "KIOSK_DATABASE_URL is 'postgres://kiosk:***@db/kiosk'"),
]


@pytest.mark.parametrize("environ, says", BAD_SETTINGS, ids=[next(iter(e)) + "=" + v for e, _ in BAD_SETTINGS
                                                              for v in e.values()])
def test_a_setting_the_app_cannot_use_is_refused_at_start_up_in_one_line(tmp_path, monkeypatch, capsys, environ,
                                                                        says):
    """Before, these started and failed later (every upload a 500), did the opposite (a Secure
    cookie when asked for none), split a name into letters, or failed with a traceback."""
    from kiosk import StartupRefused

    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(StartupRefused) as refused:
        app_as_a_command_makes_it()
    assert refused.value.code == 4  # gunicorn's "the app failed to load": its master stops
    said = capsys.readouterr().err
    assert said.startswith("Error: " + says) and said.count("\n") == 1, said


@pytest.mark.parametrize("environ", [{"KIOSK_SECURE_COOKIES": "1"}, {"KIOSK_SECURE_COOKIES": "false"},
                                     {"KIOSK_TLS_EXTRA_NAMES": '["kiosk.lan", "10.0.0.5"]'},
                                     {"KIOSK_TRUSTED_PROXIES": "1"}, {"KIOSK_HTTP_PORT": "8000"},
                                     {"KIOSK_HTTPS_PORT": "0"}])  # `make run` without HTTPS=1
def test_the_settings_as_the_readme_writes_them_start(tmp_path, monkeypatch, environ):
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    app_as_a_command_makes_it()


def test_a_wrong_setting_in_instance_config_is_named_there(tmp_path, monkeypatch, capsys):
    from kiosk import StartupRefused

    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("MAX_CONTENT_LENGTH = '32MB'\nPERMANENT_SESSION_LIFETIME = __import__('datetime').timedelta(hours=8)\n")
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    with pytest.raises(StartupRefused):
        app_as_a_command_makes_it()
    assert capsys.readouterr().err.startswith("Error: MAX_CONTENT_LENGTH in instance/config.py is '32MB'")


# Probe: a typo in instance/config.py (an unclosed quote) gave every command and gunicorn thirty
# lines of traceback where README promises one line naming the setting.
@pytest.mark.parametrize("text, said", [
    ('STATION = "demo\n', "Error: instance/config.py line 1: unterminated string literal"),
    ("IDLE_SECONDS = 30\nSTATION = demo\n", "Error: instance/config.py line 2: name 'demo' is not defined"),
])
def test_a_config_file_python_cannot_read_stops_with_one_line(tmp_path, monkeypatch, capsys, text, said):
    from kiosk import StartupRefused

    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(text)
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    with pytest.raises(StartupRefused):
        app_as_a_command_makes_it()
    err = capsys.readouterr().err
    assert err.startswith(said) and err.count("\n") == 1, err
