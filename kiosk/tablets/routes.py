"""The station's root certificate for a tablet to download, and the keeper's "set up a tablet" page."""

import ipaddress
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, request, url_for

from kiosk.core.qr import qr_svg
from kiosk.core.web import render
from kiosk.people.keepers import keeper_blueprint

# No station needed: a root certificate is public (it is what a tablet checks the server with).
bp = Blueprint("tablets", __name__, url_prefix="/tablet", template_folder="templates")
keeper_bp = keeper_blueprint("tablets_keeper", __name__)

CA_MIMETYPE = "application/x-x509-ca-cert"


def _certificates():
    """Imported when a certificate is asked for, not when a worker starts: cryptography is about
    8 MB every worker would otherwise carry all day for a page a keeper opens once per tablet."""
    from kiosk.tablets import certificates

    return certificates
CA_FILENAME = "warm-heart-station-ca"


def _serialization():
    from cryptography.hazmat.primitives import serialization

    return serialization


def _ca_or_404():
    certificates = _certificates()
    cert = certificates.load_ca_certificate(certificates.tls_folder(current_app.instance_path))
    if cert is None:
        abort(404)
    return cert


def _download(body: bytes, extension: str) -> Response:
    response = Response(body, mimetype=CA_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{CA_FILENAME}.{extension}"'
    return response


@bp.get("/station-ca.crt")
def ca_der():
    """DER: what Android's "Install a certificate → CA certificate" reads most readily."""
    return _download(_ca_or_404().public_bytes(_serialization().Encoding.DER), "crt")


@bp.get("/station-ca.pem")
def ca_pem():
    """PEM: for Chromium's certificate manager and certutil on a mini PC."""
    return _download(_ca_or_404().public_bytes(_serialization().Encoding.PEM), "pem")


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin(scheme: str, host: str, port: int | None) -> str:
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def _addresses():
    """What the tablets may use: the host to show in the QR codes (the one this page was opened
    with when the certificate covers it and it is not this machine's loopback, else the first
    LAN address the certificate names), and every LAN address of the HTTPS listener."""
    certificates = _certificates()
    server = certificates.load_server_certificate(certificates.tls_folder(current_app.instance_path))
    names = certificates.certificate_names(server) if server else None
    requested = urlsplit("//" + request.host)
    lan = []
    if names:
        lan = [str(ip) for ip in names.ips if not ip.is_loopback]
        lan += [dns for dns in names.dns if dns.endswith(".local")]
    host = requested.hostname or ""
    covered = names and (host in names.dns or host in [str(ip) for ip in names.ips])
    if _is_loopback(host) or (names and not covered):
        host = lan[0] if lan else host
    return host, requested, lan


def _station_origins() -> tuple[str, str, list[str]]:
    """A station box: the plain and the secure origin tablets use (its LAN address and its two
    ports), "" for the secure one when this server serves no HTTPS (HTTPS_PORT 0: `make run`
    without HTTPS=1), and every secure LAN address."""
    host, requested, lan = _addresses()
    config = current_app.config
    if request.scheme == "http" and requested.hostname == host:
        http_origin = _origin("http", host, requested.port)
    else:
        http_origin = _origin("http", host, config["HTTP_PORT"])
    if request.scheme == "https" and requested.hostname == host:
        https_origin = _origin("https", host, requested.port)
    elif config["HTTPS_PORT"]:
        https_origin = _origin("https", host, config["HTTPS_PORT"])
    else:
        return http_origin, "", []
    return http_origin, https_origin, [_origin("https", address, config["HTTPS_PORT"]) for address in lan]


def _district_origins() -> tuple[str, str, list[str]]:
    """Behind a district's proxy: the address the page was opened with, as the proxy passed it on.
    This app machine's own names and ports are not what tablets reach (nginx listens on 80 and 443)."""
    requested = urlsplit("//" + request.host)
    host = requested.hostname or ""
    return (_origin("http", host, requested.port if request.scheme == "http" else None),
            _origin("https", host, requested.port if request.scheme == "https" else None), [])


@keeper_bp.get("/tablet")
def setup():
    certificates = _certificates()
    folder = certificates.tls_folder(current_app.instance_path)
    ca = certificates.load_ca_certificate(folder)
    district = bool(current_app.config["TRUSTED_PROXIES"])
    http_origin, https_origin, secure_origins = (_district_origins if district else _station_origins)()
    download_link = http_origin + url_for("tablets.ca_der")
    secure_link = https_origin + url_for("tablets_keeper.setup") + "#camera-check" if https_origin else ""
    return render(
        "tablets/setup.html",
        ca=ca,
        district=district,
        fingerprint=certificates.fingerprint(ca) if ca else "",
        download_link=download_link,
        download_qr=qr_svg(download_link, box_size=5) if ca else "",
        secure_link=secure_link,
        secure_qr=qr_svg(secure_link, box_size=5) if secure_link and (ca or district) else "",
        secure_origins=secure_origins,
        on_https=request.scheme == "https",
    )
