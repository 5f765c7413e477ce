"""The station's own certificate authority and the HTTPS certificate of this machine.

Browsers open the camera only on a secure page (HTTPS, or localhost). A station's tablets reach the
server by its LAN address, so the station makes a small certificate authority of its own once (a
root that lasts ten years), which each tablet installs once, and with it a server certificate for
every name and address the tablets may use: the host name, host name.local, each non-loopback
IPv4 address of the machine, localhost and 127.0.0.1. The server certificate is issued again when
those names change, and before it runs out; it lasts at most 825 days, the longest that Android,
Chrome and Apple accept from a root installed by hand.

A tablet that installs the root trusts it for what it names only: the root carries name
constraints (the machine's own names, anything under .local, localhost, and the private and
loopback address ranges), so its key could never vouch for a bank's website. A name outside them
(a public address, a new host name) is left out of the server certificate, and said so; a new root
(`station-certificate --new-root`, which every tablet must then install) covers the new names.

Everything is kept in instance/tls/: the private keys are written with mode 0600 and never served;
the root certificate is public (a tablet downloads it)."""

import ipaddress
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVER_DAYS = 825
# A tablet whose clock runs a little behind still accepts a certificate made just now.
BACKDATE = timedelta(hours=1)
# A server certificate this close to its end is issued again.
RENEW_BEFORE = timedelta(days=30)

CA_CERT = "station-ca.pem"
CA_KEY = "station-ca-key.pem"
SERVER_CERT = "server.pem"
SERVER_KEY = "server-key.pem"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Where a station's LAN addresses come from: loopback, the private ranges, carrier-grade NAT
# (100.64/10, some routers and VPNs), IPv6 loopback and unique local addresses.
LAN_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "::1/128", "fc00::/7"))
LAN_DOMAINS = ("local", "localhost")


@dataclass(frozen=True)
class Names:
    """What a server certificate names: DNS names and IP addresses, in a stable order."""

    dns: tuple[str, ...]
    ips: tuple[IPAddress, ...]

    @classmethod
    def of(cls, dns, ips) -> "Names":
        clean_dns = sorted({d.strip().lower().rstrip(".") for d in dns if d and d.strip()})
        clean_ips = sorted({ipaddress.ip_address(ip) for ip in ips}, key=lambda ip: (ip.version, int(ip)))
        return cls(tuple(clean_dns), tuple(clean_ips))


class RootUnusable(RuntimeError):
    """The station's root is there but cannot be used (its key missing, unreadable or not its own).
    Making a new one silently would send every tablet back to "connection not private"."""


@dataclass(frozen=True)
class Outcome:
    made_ca: bool
    issued_server: bool
    reason: str  # why the server certificate was (re)issued, or "" when it was kept
    left_out: tuple[str, ...] = ()  # names the station's root may not vouch for


def tls_folder(instance_path: str | os.PathLike) -> Path:
    return Path(instance_path) / "tls"


def machine_names(extra: list[str] | tuple[str, ...] = ()) -> Names:
    """The names tablets may reach this machine by: its host name (and name.local, for mDNS),
    every non-loopback IPv4 address it has, localhost and 127.0.0.1, and any extra names or
    addresses from the settings (TLS_EXTRA_NAMES)."""
    host = socket.gethostname().strip().lower()
    short = host.split(".")[0]
    dns = {"localhost", host, short, f"{short}.local"}
    ips: set[IPAddress] = {ipaddress.IPv4Address("127.0.0.1")}
    ips.update(lan_ipv4_addresses())
    for name in extra:
        try:
            ips.add(ipaddress.ip_address(name))
        except ValueError:
            dns.add(name)
    return Names.of(dns, ips)


def lan_ipv4_addresses() -> list[ipaddress.IPv4Address]:
    """Every IPv4 address of this machine that is not loopback or link-local (169.254.x.x)."""
    import psutil

    found = []
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family != socket.AF_INET:
                continue
            ip = ipaddress.IPv4Address(address.address)
            if not (ip.is_loopback or ip.is_link_local or ip.is_unspecified):
                found.append(ip)
    return found


def certificate_names(cert: x509.Certificate) -> Names:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return Names((), ())
    return Names.of(san.get_values_for_type(x509.DNSName), san.get_values_for_type(x509.IPAddress))


def ensure_station_certificates(folder: Path, names: Names, now: datetime | None = None,
                                renew: bool = False, label: str = "", new_root: bool = False) -> Outcome:
    """Make the station's root once (or again with `new_root`), and a server certificate for
    `names` whenever there is none, it names something else, it was not issued by this root, or
    it ends within 30 days. Names the root may not vouch for are left out (see `Outcome.left_out`)."""
    now = now or datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = None, None
    if not new_root:
        ca_cert, ca_key = _station_root(folder)
    made_ca = ca_cert is None
    if made_ca:
        ca_cert, ca_key = _make_ca(now, label or (names.dns[0] if names.dns else "station"), names)
        _write_key(folder / CA_KEY, ca_key)
        _write_public(folder / CA_CERT, ca_cert.public_bytes(serialization.Encoding.PEM))
    names, left_out = covered_names(ca_cert, names)
    reason = "asked to renew" if renew else _server_problem(folder, ca_cert, names, now)
    if made_ca and not reason:
        reason = "a new root"
    if reason:
        cert, key = _make_server(ca_cert, ca_key, names, now)
        _write_key(folder / SERVER_KEY, key)
        _write_public(folder / SERVER_CERT, cert.public_bytes(serialization.Encoding.PEM))
    return Outcome(made_ca=made_ca, issued_server=bool(reason), reason=reason, left_out=left_out)


def covered_names(ca_cert: x509.Certificate, names: Names) -> tuple[Names, tuple[str, ...]]:
    """The part of `names` the root's name constraints allow, and what they leave out."""
    try:
        constraints = ca_cert.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return names, ()
    permitted = constraints.permitted_subtrees or []
    domains = [sub.value.lower() for sub in permitted if isinstance(sub, x509.DNSName)]
    networks = [sub.value for sub in permitted if isinstance(sub, x509.IPAddress)]
    dns = [d for d in names.dns if any(d == dom or d.endswith("." + dom) for dom in domains)]
    ips = [ip for ip in names.ips if any(ip.version == net.version and ip in net for net in networks)]
    left_out = tuple(d for d in names.dns if d not in dns) + tuple(str(ip) for ip in names.ips if ip not in ips)
    return Names.of(dns, ips), left_out


def load_ca_certificate(folder: Path) -> x509.Certificate | None:
    """The station's root certificate, or None before HTTPS was set up."""
    path = folder / CA_CERT
    if not path.exists():
        return None
    return x509.load_pem_x509_certificate(path.read_bytes())


def load_server_certificate(folder: Path) -> x509.Certificate | None:
    path = folder / SERVER_CERT
    if not path.exists():
        return None
    return x509.load_pem_x509_certificate(path.read_bytes())


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate as a tablet shows it: pairs of hex digits."""
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


# --- making ---------------------------------------------------------------------------------

def _new_key() -> ec.EllipticCurvePrivateKey:
    # P-256: accepted by every Android and Chromium that can run the kiosk, and quick to make.
    return ec.generate_private_key(ec.SECP256R1())


def _make_ca(now: datetime, label: str, names: Names) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _new_key()
    own = [d for d in names.dns if not any(d == dom or d.endswith("." + dom) for dom in LAN_DOMAINS)]
    permitted = ([x509.DNSName(d) for d in sorted(set(LAN_DOMAINS) | set(own))]
                 + [x509.IPAddress(net) for net in LAN_NETWORKS])
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "暖心驿站 Warm-Heart Station"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"暖心驿站 {label} CA {secrets.token_hex(3)}"),
    ])
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now - BACKDATE + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _make_server(ca_cert: x509.Certificate, ca_key, names: Names,
                 now: datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _new_key()
    public = key.public_key()
    common = names.dns[0] if names.dns else str(names.ips[0])
    for dns in names.dns:  # the host name reads best in a certificate viewer
        if dns != "localhost" and not dns.endswith(".local"):
            common = dns
            break
    alt_names = [x509.DNSName(d) for d in names.dns] + [x509.IPAddress(ip) for ip in names.ips]
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    not_before = now - BACKDATE
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common[:64])]))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(min(not_before + timedelta(days=SERVER_DAYS), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _server_problem(folder: Path, ca_cert: x509.Certificate, names: Names, now: datetime) -> str:
    """Why the server certificate must be issued again, or "" when it is good."""
    cert, key = _load_pair(folder / SERVER_CERT, folder / SERVER_KEY)
    if cert is None or key is None:
        return "none yet"
    if not _matches(cert, key):
        return "its key does not match"
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return "not issued by this station's root"
    if certificate_names(cert) != names:
        return "the machine's names or addresses changed"
    if cert.not_valid_after_utc - now < RENEW_BEFORE:
        return "it runs out soon"
    return ""


def _load_pair(cert_path: Path, key_path: Path):
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError):
        return None, None
    return cert, key


def _station_root(folder: Path):
    """The root and its key; (None, None) the first time, when neither file is there yet.
    RootUnusable when one is there and the pair cannot be used."""
    cert_path, key_path = folder / CA_CERT, folder / CA_KEY
    if not cert_path.exists() and not key_path.exists():
        return None, None
    for path in (cert_path, key_path):
        if not path.exists():
            raise RootUnusable(f"{path} is missing (its partner {(key_path if path == cert_path else cert_path).name} "
                               "is there)")
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except OSError as err:
        raise RootUnusable(f"{cert_path} cannot be read ({err.strerror or err})") from None
    except ValueError:
        raise RootUnusable(f"{cert_path} is not a certificate") from None
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except OSError as err:
        raise RootUnusable(f"{key_path} cannot be read ({err.strerror or err}: run this as the server's user)") \
            from None
    except (ValueError, TypeError):
        raise RootUnusable(f"{key_path} is not a private key") from None
    if not _matches(cert, key):
        raise RootUnusable(f"{key_path} is not the key of {cert_path.name}")
    return cert, key


def _matches(cert: x509.Certificate, key) -> bool:
    raw = serialization.PublicFormat.SubjectPublicKeyInfo
    return (cert.public_key().public_bytes(serialization.Encoding.DER, raw)
            == key.public_key().public_bytes(serialization.Encoding.DER, raw))


def _write_key(path: Path, key) -> None:
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    _write_atomically(path, data, 0o600)


def _write_public(path: Path, data: bytes) -> None:
    _write_atomically(path, data, 0o644)


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Written beside its place with its final mode from the first byte, then moved into place:
    a reader (gunicorn starting) never sees half a file, and a key is never readable by others."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)  # the umask may have taken bits from a public file
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
