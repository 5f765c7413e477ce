"""Setting up a tablet (kiosk/tablets): the station's root certificate for download, and the keeper's
page with the QR codes, the steps and the camera check."""

import re
import shutil
import stat
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kiosk.core.extensions import db
from kiosk.tablets.certificates import CA_CERT, Names, ensure_station_certificates, tls_folder
from tests.conftest import CSRF_INPUT
from tests.databases import on_postgres
from tests.http.conftest import PASSWORD

NAMES = Names.of(["localhost", "station", "station.local"], ["127.0.0.1", "192.168.1.10"])
CA_PATHS = ("/tablet/station-ca.crt", "/tablet/station-ca.pem")


def keeper_at(app, base_url):
    """A keeper's tablet that reached the station by `base_url` (its cookies belong to that host)."""
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en", domain=base_url.split("//")[1].split(":")[0])
    token = CSRF_INPUT.search(client.get("/keeper/login", base_url=base_url).get_data(as_text=True)).group(1)
    # Over HTTPS, Flask-WTF also wants the page's own Referer (a browser sends it: same origin).
    signed_in = client.post("/keeper/login", base_url=base_url, headers={"Referer": base_url + "/keeper/login"},
                            data={"username": "keeper", "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 303
    return client


@pytest.fixture
def with_https(app):
    folder = tls_folder(app.instance_path)
    ensure_station_certificates(folder, NAMES, now=datetime.now(UTC))
    return folder


def test_the_root_certificate_downloads_as_der_and_pem(client, with_https):
    ca = x509.load_pem_x509_certificate((with_https / CA_CERT).read_bytes())
    der = client.get("/tablet/station-ca.crt")
    assert der.status_code == 200
    assert der.mimetype == "application/x-x509-ca-cert"
    assert 'filename="warm-heart-station-ca.crt"' in der.headers["Content-Disposition"]
    assert x509.load_der_x509_certificate(der.data) == ca
    pem = client.get("/tablet/station-ca.pem")
    assert pem.status_code == 200 and pem.mimetype == "application/x-x509-ca-cert"
    assert x509.load_pem_x509_certificate(pem.data) == ca
    assert pem.headers["X-Content-Type-Options"] == "nosniff"


def test_no_private_key_is_ever_served(app, client, keeper, with_https):
    keys = [path.read_bytes() for path in with_https.glob("*key*")]
    assert len(keys) == 2
    paths = [*CA_PATHS, "/keeper/tablet", "/tablet/station-ca-key.pem", "/tablet/server-key.pem",
             "/tablet/../instance/tls/station-ca-key.pem", "/static/../instance/tls/server-key.pem"]
    for path in paths:
        for who in (client, keeper):
            body = who.get(path).data
            assert b"PRIVATE KEY" not in body, path
            for key in keys:
                assert key not in body, path
    assert client.get("/tablet/station-ca-key.pem").status_code == 404


def test_before_https_is_set_up_there_is_nothing_to_download_and_the_page_says_so(client, keeper):
    for path in CA_PATHS:
        assert client.get(path).status_code == 404
    page = keeper.get("/keeper/tablet")
    assert page.status_code == 200
    assert "no certificate yet" in page.get_data(as_text=True)
    assert "data-camera-check" in page.get_data(as_text=True)  # the check still says what is wrong


def test_before_https_is_set_up_the_page_says_in_plain_words_what_to_ask_for(keeper):
    body = keeper.get("/keeper/tablet").get_data(as_text=True)
    assert "README" not in body
    assert "Please ask whoever set up the station's computer" in body
    assert re.search(r'<pre class="setup-command">make run HTTPS=1</pre>', body)
    # The one step shown is numbered 1, and the camera check does not send the keeper to a step 3
    # the page does not show.
    headings = re.findall(r"<h2[^>]*>([^<]*)</h2>", body)
    assert [h for h in headings if re.match(r"\d", h)] == ["1. Check the camera"]
    assert "(step 3)" not in body


def test_with_https_set_up_the_camera_check_is_step_4(keeper, with_https):
    body = keeper.get("/keeper/tablet").get_data(as_text=True)
    assert "4. Check the camera" in body and "(step 3)" in body


def test_the_setup_page_is_for_keepers_only(app, client, station):
    response = client.get("/keeper/tablet")
    assert response.status_code in (302, 303)
    assert "/keeper/login" in response.headers["Location"]


def test_the_setup_page_gives_qr_codes_for_the_download_and_the_secure_address(app, keeper_id, with_https):
    # Opened over plain HTTP by the station's LAN address, as a keeper's tablet does.
    page = keeper_at(app, "http://192.168.1.10:5000").get("/keeper/tablet", base_url="http://192.168.1.10:5000")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "http://192.168.1.10:5000/tablet/station-ca.crt" in body
    assert "https://192.168.1.10:5443/keeper/tablet#camera-check" in body
    assert body.count("<svg") >= 2 + 7  # two QR codes and the drawn steps
    assert "Encryption &amp; credentials" in body or "Encryption & credentials" in body and "CA certificate" in body
    assert "chrome://settings/certificates" in body and "certutil" in body
    assert 'href="/tablet/station-ca.crt"' in body and 'href="/tablet/station-ca.pem"' in body
    assert re.search(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", body)  # the root's fingerprint
    assert "js/tablet-check.js" in body and "Check the camera" in body


def test_opened_on_the_server_itself_the_codes_use_its_lan_address(app, keeper_id, with_https):
    body = keeper_at(app, "http://localhost:5000").get("/keeper/tablet", base_url="http://localhost:5000").get_data(as_text=True)
    assert "http://192.168.1.10:5000/tablet/station-ca.crt" in body
    assert "https://192.168.1.10:5443/" in body
    assert "https://localhost" not in body


def test_opened_over_https_the_secure_address_is_the_one_in_use(app, keeper_id, with_https):
    body = keeper_at(app, "https://station.local:8443").get("/keeper/tablet", base_url="https://station.local:8443").get_data(as_text=True)
    assert "https://station.local:8443/keeper/tablet#camera-check" in body
    assert "http://station.local:5000/tablet/station-ca.crt" in body  # a new tablet downloads over http


def test_the_ports_follow_the_settings(app, with_https, keeper_id):
    app.config.update(HTTP_PORT=8000, HTTPS_PORT=8443)
    body = keeper_at(app, "http://localhost").get("/keeper/tablet", base_url="http://localhost").get_data(as_text=True)
    assert "http://192.168.1.10:8000/tablet/station-ca.crt" in body
    assert "https://192.168.1.10:8443/" in body


def test_served_without_https_the_page_says_how_to_start_it_with_https(app, with_https, keeper_id):
    """`make run` without HTTPS=1 (HTTPS_PORT 0): the page showed a secure address nothing served."""
    app.config.update(HTTP_PORT=5333, HTTPS_PORT=0)
    body = keeper_at(app, "http://192.168.1.10:5333").get("/keeper/tablet", base_url="http://192.168.1.10:5333") \
        .get_data(as_text=True)
    assert "http://192.168.1.10:5333/tablet/station-ca.crt" in body
    assert "not serving its secure address now" in body and "make run HTTPS=1" in body
    assert "https://" not in body


def district_keeper(tmp_path):
    """A keeper's tablet that reaches a district's app machine through nginx (docs/nginx-district.conf)."""
    from kiosk.people.demo import load_demo_station
    from tests.conftest import make_app

    app = make_app(tmp_path / "district", TRUSTED_PROXIES=1)
    with app.app_context():
        _station, keeper, _password = load_demo_station()
        keeper.set_password(PASSWORD)
        db.session.commit()
    proxied = {"X-Forwarded-For": "192.0.2.7", "X-Forwarded-Host": "kiosk.example", "X-Forwarded-Proto": "http"}
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    token = CSRF_INPUT.search(client.get("/keeper/login", headers=proxied).get_data(as_text=True)).group(1)
    assert client.post("/keeper/login", headers=proxied, data={"username": "keeper", "password": PASSWORD,
                                                             "csrf_token": token}).status_code == 303
    return app, client, proxied


@pytest.mark.parametrize("certificate", [True, False], ids=["station root on this machine", "none"])
def test_behind_the_district_proxy_the_page_gives_the_district_s_address(tmp_path, certificate):
    """It gave this app machine's own name with :5000 and :5443, which nothing listens on there."""
    app, client, proxied = district_keeper(tmp_path)
    if certificate:
        ensure_station_certificates(tls_folder(app.instance_path), NAMES, now=datetime.now(UTC))
    body = client.get("/keeper/tablet", headers=proxied).get_data(as_text=True)
    assert "https://kiosk.example/keeper/tablet#camera-check" in body
    assert ":5000" not in body and ":5443" not in body and "192.168.1.10" not in body
    assert "make run HTTPS=1" not in body  # nothing a district's keeper could do
    if certificate:
        assert "http://kiosk.example/tablet/station-ca.crt" in body
    else:
        assert "served through the district's server" in body and "2. Check the camera" in body


def test_the_keeper_menu_links_to_the_setup_page(keeper):
    body = keeper.get("/keeper/today").get_data(as_text=True)
    assert 'href="/keeper/tablet"' in body and "Set up a tablet" in body


@pytest.mark.parametrize("lang, words", [("zh_Hans", "设置平板"), ("zh_Hant", "設定平板"), ("en", "Set up a tablet")])
def test_the_setup_page_in_each_language(keeper, with_https, lang, words):
    keeper.set_cookie("kiosk_lang", lang)
    body = keeper.get("/keeper/tablet").get_data(as_text=True)
    assert f"<h1>{words}</h1>" in body


def test_the_station_certificate_command_makes_then_keeps_then_renews(app, runner, monkeypatch):
    from kiosk.tablets import certificates

    monkeypatch.setattr(certificates, "machine_names", lambda extra=(): Names.of([*NAMES.dns, *extra], NAMES.ips))
    app.config["TLS_EXTRA_NAMES"] = ["kiosk.lan"]
    first = runner.invoke(args=["station-certificate"])
    assert first.exit_code == 0, first.output
    assert "Made the station's root certificate" in first.output and "none yet" in first.output
    assert "kiosk.lan" in first.output and "192.168.1.10" in first.output
    folder = tls_folder(app.instance_path)
    server = x509.load_pem_x509_certificate((folder / "server.pem").read_bytes())
    assert "kiosk.lan" in server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value \
        .get_values_for_type(x509.DNSName)
    again = runner.invoke(args=["station-certificate"])
    assert "up to date" in again.output and "Made" not in again.output
    renewed = runner.invoke(args=["station-certificate", "--renew"])
    assert "asked to renew" in renewed.output
    assert (folder / "server.pem").read_bytes() != server.public_bytes(serialization.Encoding.PEM)


def test_the_station_certificate_command_refuses_a_root_without_its_key(app, runner, with_https):
    """`make run HTTPS=1` runs it at every start: a root replaced there sent every tablet back to
    "connection not private", and the command read like a first set-up."""
    (with_https / "station-ca-key.pem").unlink()
    before = (with_https / CA_CERT).read_bytes()
    out = runner.invoke(args=["station-certificate"])
    assert out.exit_code == 1 and out.output.count("\n") == 1, out.output
    assert out.output.startswith("Error: The station's root certificate cannot be used: ")
    assert "station-ca-key.pem is missing" in out.output and "--new-root" in out.output
    assert (with_https / CA_CERT).read_bytes() == before


@pytest.mark.skipif(on_postgres(), reason="copies a SQLite station; PostgreSQL is backed up with pg_dump")
def test_a_backup_keeps_the_station_certificates_and_restore_puts_them_back(app, runner, station, with_https,
                                                                          tmp_path):
    before = {path.name: path.read_bytes() for path in with_https.iterdir()}
    assert runner.invoke(args=["db", "stamp", "head"]).exit_code == 0  # as `flask db upgrade` leaves a real one
    assert runner.invoke(args=["backup", str(tmp_path / "copy")]).exit_code == 0
    assert stat.S_IMODE((tmp_path / "copy" / "tls" / "station-ca-key.pem").stat().st_mode) == 0o600
    shutil.rmtree(with_https)  # a new machine
    assert runner.invoke(args=["restore", str(tmp_path / "copy"), "--yes"]).exit_code == 0
    assert {path.name: path.read_bytes() for path in with_https.iterdir()} == before
    assert stat.S_IMODE((with_https / "server-key.pem").stat().st_mode) == 0o600
