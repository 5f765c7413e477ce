"""The station's own certificate authority and its HTTPS certificate (kiosk/tablets/certificates.py)."""

import ipaddress
import socket
import ssl
import stat
import threading
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import PolicyBuilder, Store

from kiosk.tablets import certificates as certs
from kiosk.tablets.certificates import Names, certificate_names, ensure_station_certificates, machine_names

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
NAMES = Names.of(["localhost", "station", "station.local"], ["127.0.0.1", "192.168.1.10", "10.0.0.7"])


def load(folder, name):
    return x509.load_pem_x509_certificate((folder / name).read_bytes())


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "tls"
    ensure_station_certificates(folder, NAMES, now=NOW)
    return folder


def test_the_server_certificate_names_every_address_a_tablet_may_use(folder):
    server = load(folder, certs.SERVER_CERT)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(san.get_values_for_type(x509.DNSName)) == ["localhost", "station", "station.local"]
    assert sorted(map(str, san.get_values_for_type(x509.IPAddress))) == ["10.0.0.7", "127.0.0.1", "192.168.1.10"]
    assert certificate_names(server) == NAMES


def test_the_server_certificate_verifies_against_the_station_root_for_each_name(folder):
    ca, server = load(folder, certs.CA_CERT), load(folder, certs.SERVER_CERT)
    verifier_for = PolicyBuilder().store(Store([ca])).time(NOW + timedelta(days=1))
    for name in (x509.DNSName("station.local"), x509.DNSName("localhost"),
                 x509.IPAddress(ipaddress.ip_address("192.168.1.10"))):
        chain = verifier_for.build_server_verifier(name).verify(server, [])
        assert chain[-1] == ca
    with pytest.raises(x509.verification.VerificationError):
        verifier_for.build_server_verifier(x509.DNSName("example.com")).verify(server, [])


def test_a_tls_client_that_trusts_only_the_station_root_accepts_the_server(folder):
    """The real handshake: Python's ssl module (OpenSSL), as a browser would, by IP address."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(folder / certs.SERVER_CERT, folder / certs.SERVER_KEY)
    client_ctx = ssl.create_default_context(cafile=str(folder / certs.CA_CERT))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def answer():
            conn, _ = listener.accept()
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)

        thread = threading.Thread(target=answer)
        thread.start()
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with client_ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
                tls.sendall(b"x")
        thread.join(5)


def test_validity_root_ten_years_server_at_most_825_days(folder):
    ca, server = load(folder, certs.CA_CERT), load(folder, certs.SERVER_CERT)
    assert ca.not_valid_after_utc - ca.not_valid_before_utc >= timedelta(days=3650)
    server_days = server.not_valid_after_utc - server.not_valid_before_utc
    assert timedelta(days=800) <= server_days <= timedelta(days=825)
    # Backdated a little for a tablet whose clock is behind, never into the future.
    assert ca.not_valid_before_utc <= NOW and server.not_valid_before_utc <= NOW
    assert NOW - server.not_valid_before_utc <= timedelta(days=1)


def test_key_usage_root_signs_certificates_server_only_serves(folder):
    ca, server = load(folder, certs.CA_CERT), load(folder, certs.SERVER_CERT)
    ca_basic = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert ca_basic.critical and ca_basic.value.ca and ca_basic.value.path_length == 0
    ca_usage = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert ca_usage.critical and ca_usage.value.key_cert_sign and ca_usage.value.crl_sign
    server_basic = server.extensions.get_extension_for_class(x509.BasicConstraints)
    assert server_basic.critical and not server_basic.value.ca
    server_usage = server.extensions.get_extension_for_class(x509.KeyUsage).value
    assert server_usage.digital_signature and not server_usage.key_cert_sign
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert server.issuer == ca.subject


def test_private_keys_are_readable_by_the_owner_only(folder):
    for name in (certs.CA_KEY, certs.SERVER_KEY):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    for name in (certs.CA_CERT, certs.SERVER_CERT):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o644
        assert b"PRIVATE KEY" not in (folder / name).read_bytes()


def test_running_again_keeps_both_when_nothing_changed(folder):
    before = {name: (folder / name).read_bytes() for name in (certs.CA_CERT, certs.SERVER_CERT, certs.SERVER_KEY)}
    outcome = ensure_station_certificates(folder, NAMES, now=NOW + timedelta(days=100))
    assert (outcome.made_ca, outcome.issued_server) == (False, False)
    assert before == {name: (folder / name).read_bytes() for name in before}


def test_a_new_address_issues_the_server_certificate_again_under_the_same_root(folder):
    ca_before = (folder / certs.CA_CERT).read_bytes()
    moved = Names.of(NAMES.dns, ["127.0.0.1", "192.168.1.23"])  # DHCP gave the box a new address
    outcome = ensure_station_certificates(folder, moved, now=NOW + timedelta(days=3))
    assert outcome.issued_server and not outcome.made_ca
    assert "changed" in outcome.reason
    assert (folder / certs.CA_CERT).read_bytes() == ca_before  # the tablets keep trusting it
    server = load(folder, certs.SERVER_CERT)
    assert certificate_names(server) == moved
    server.verify_directly_issued_by(load(folder, certs.CA_CERT))


def test_a_server_certificate_near_its_end_is_issued_again(folder):
    late = NOW + timedelta(days=825 - 20)
    outcome = ensure_station_certificates(folder, NAMES, now=late)
    assert outcome.issued_server and not outcome.made_ca
    assert load(folder, certs.SERVER_CERT).not_valid_after_utc > late + timedelta(days=800)


def test_a_server_certificate_from_another_root_is_replaced(tmp_path, folder):
    other = tmp_path / "other"
    ensure_station_certificates(other, NAMES, now=NOW)
    for name in (certs.SERVER_CERT, certs.SERVER_KEY):
        (folder / name).write_bytes((other / name).read_bytes())
    outcome = ensure_station_certificates(folder, NAMES, now=NOW)
    assert outcome.issued_server and "root" in outcome.reason
    load(folder, certs.SERVER_CERT).verify_directly_issued_by(load(folder, certs.CA_CERT))


def test_renew_issues_a_new_key(folder):
    old_key = (folder / certs.SERVER_KEY).read_bytes()
    assert ensure_station_certificates(folder, NAMES, now=NOW, renew=True).issued_server
    assert (folder / certs.SERVER_KEY).read_bytes() != old_key
    key = serialization.load_pem_private_key((folder / certs.SERVER_KEY).read_bytes(), password=None)
    assert load(folder, certs.SERVER_CERT).public_key() == key.public_key()


def test_machine_names_cover_the_host_its_lan_addresses_and_localhost(monkeypatch):
    monkeypatch.setattr(socket, "gethostname", lambda: "Station-7")
    monkeypatch.setattr(certs, "lan_ipv4_addresses", lambda: [ipaddress.IPv4Address("192.168.1.10")])
    names = machine_names(["kiosk.lan", "10.1.2.3"])
    assert names.dns == ("kiosk.lan", "localhost", "station-7", "station-7.local")
    assert [str(ip) for ip in names.ips] == ["10.1.2.3", "127.0.0.1", "192.168.1.10"]


def test_lan_addresses_leave_out_loopback_and_link_local():
    found = certs.lan_ipv4_addresses()
    assert all(not (ip.is_loopback or ip.is_link_local) for ip in found)


def test_the_root_may_vouch_only_for_the_station_names_and_lan_addresses(folder):
    ca = load(folder, certs.CA_CERT)
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    permitted = constraints.value.permitted_subtrees
    assert sorted(n.value for n in permitted if isinstance(n, x509.DNSName)) == ["local", "localhost", "station"]
    assert ipaddress.ip_network("192.168.0.0/16") in [n.value for n in permitted if isinstance(n, x509.IPAddress)]


def test_a_certificate_for_a_public_website_made_with_the_station_key_is_not_trusted(folder):
    """Should the station's key ever leak, a tablet that trusts its root still trusts no bank."""
    ca = load(folder, certs.CA_CERT)
    ca_key = serialization.load_pem_private_key((folder / certs.CA_KEY).read_bytes(), password=None)
    forged_names = Names.of(["bank.example.com"], ["203.0.113.5"])
    forged, _key = certs._make_server(ca, ca_key, forged_names, NOW)
    verifier_for = PolicyBuilder().store(Store([ca])).time(NOW + timedelta(days=1))
    with pytest.raises(x509.verification.VerificationError):
        verifier_for.build_server_verifier(x509.DNSName("bank.example.com")).verify(forged, [])
    with pytest.raises(x509.verification.VerificationError):
        verifier_for.build_server_verifier(x509.IPAddress(ipaddress.ip_address("203.0.113.5"))).verify(forged, [])


def test_names_the_root_does_not_cover_are_left_out_and_said(folder):
    wider = Names.of([*NAMES.dns, "newname", "newname.local"], [*NAMES.ips, "203.0.113.5"])
    outcome = ensure_station_certificates(folder, wider, now=NOW)
    assert set(outcome.left_out) == {"newname", "203.0.113.5"}
    server = certificate_names(load(folder, certs.SERVER_CERT))
    assert "newname.local" in server.dns and "newname" not in server.dns
    assert ipaddress.ip_address("203.0.113.5") not in server.ips
    # A new root (after a new host name) covers it; the tablets must install that root again.
    old_root = (folder / certs.CA_CERT).read_bytes()
    renamed = Names.of(["localhost", "newname", "newname.local"], NAMES.ips)
    outcome = ensure_station_certificates(folder, renamed, now=NOW, new_root=True)
    assert outcome.made_ca and outcome.issued_server and outcome.left_out == ()
    assert (folder / certs.CA_CERT).read_bytes() != old_root
    load(folder, certs.SERVER_CERT).verify_directly_issued_by(load(folder, certs.CA_CERT))


@pytest.mark.parametrize("broken", ["key missing", "key not a key", "key of another root", "root not a certificate",
                                    "root missing", "key unreadable"])
def test_a_root_that_cannot_be_used_is_refused_and_kept_never_replaced(tmp_path, folder, broken):
    """tls/ copied by a user who could not read the 0600 key, say: a new root was made without a
    word, and every tablet set up showed "connection not private" again."""
    other = tmp_path / "other"
    ensure_station_certificates(other, NAMES, now=NOW)
    ca, key = folder / certs.CA_CERT, folder / certs.CA_KEY
    if broken == "key missing":
        key.unlink()
    elif broken == "key not a key":
        key.write_text("garbage")
    elif broken == "key of another root":
        key.write_bytes((other / certs.CA_KEY).read_bytes())
    elif broken == "root not a certificate":
        ca.write_text("garbage")
    elif broken == "root missing":
        ca.unlink()
    else:
        key.unlink()
        key.mkdir()  # reading it fails as a file without permission would (the tests may run as root)
    left = {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}
    with pytest.raises(certs.RootUnusable):
        ensure_station_certificates(folder, NAMES, now=NOW)
    assert {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()} == left
    if broken == "key unreadable":
        key.rmdir()
    outcome = ensure_station_certificates(folder, NAMES, now=NOW, new_root=True)  # asked for by name
    assert outcome.made_ca and outcome.issued_server
