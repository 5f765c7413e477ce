"""flask --app kiosk station-certificate: the station's root and HTTPS certificate."""

import socket

import click
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    @app.cli.command("station-certificate")
    @click.option("--renew", is_flag=True, help="issue a new server certificate even if the current one is good")
    def station_certificate(renew):
        """Make the station's root certificate (once) and an HTTPS certificate for this machine's
        names and LAN addresses, issued again when they change. `make run HTTPS=1` runs it."""
        from kiosk.tablets.certificates import (ensure_station_certificates, fingerprint, load_ca_certificate,
                                                machine_names, tls_folder)

        folder = tls_folder(current_app.instance_path)
        names = machine_names(current_app.config.get("TLS_EXTRA_NAMES") or [])
        outcome = ensure_station_certificates(folder, names, renew=renew, label=socket.gethostname())
        if outcome.made_ca:
            click.echo(f"Made the station's root certificate: {folder / 'station-ca.pem'}")
            click.echo("  Install it on every tablet once (keeper page: Set up a tablet).")
        if outcome.issued_server:
            click.echo(f"Issued the HTTPS certificate ({outcome.reason}): {folder / 'server.pem'}")
        else:
            click.echo(f"The HTTPS certificate is up to date: {folder / 'server.pem'}")
        click.echo("  Names: " + ", ".join(list(names.dns) + [str(ip) for ip in names.ips]))
        click.echo("  Root SHA-256: " + fingerprint(load_ca_certificate(folder)))
