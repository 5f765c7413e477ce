"""flask --app kiosk station-certificate: the station's root and HTTPS certificate."""

import socket

import click
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    @app.cli.command("station-certificate")
    @click.option("--renew", is_flag=True, help="issue a new server certificate even if the current one is good")
    @click.option("--new-root", is_flag=True,
                  help="make a new root as well (for a new host name); every tablet must install it again")
    def station_certificate(renew, new_root):
        """Make the station's root certificate (once) and an HTTPS certificate for this machine's
        names and LAN addresses, issued again when they change. `make run HTTPS=1` runs it."""
        from kiosk.tablets.certificates import (RootUnusable, ensure_station_certificates, fingerprint,
                                                load_ca_certificate, machine_names, tls_folder)

        folder = tls_folder(current_app.instance_path)
        names = machine_names(current_app.config.get("TLS_EXTRA_NAMES") or [])
        try:
            outcome = ensure_station_certificates(folder, names, renew=renew, label=socket.gethostname(),
                                                  new_root=new_root)
        except RootUnusable as err:
            raise click.ClickException(
                f"The station's root certificate cannot be used: {err}. Nothing was changed. Put instance/tls/ back "
                "from a backup (`restore`), or make a new root with `station-certificate --new-root`; every tablet "
                "must then install it again.") from None
        if outcome.made_ca:
            click.echo(f"Made the station's root certificate: {folder / 'station-ca.pem'}")
            click.echo("  Install it on every tablet once (keeper page: Set up a tablet).")
        if outcome.issued_server:
            click.echo(f"Issued the HTTPS certificate ({outcome.reason}): {folder / 'server.pem'}")
        else:
            click.echo(f"The HTTPS certificate is up to date: {folder / 'server.pem'}")
        given = [n for n in list(names.dns) + [str(ip) for ip in names.ips] if n not in outcome.left_out]
        click.echo("  Names: " + ", ".join(given))
        if outcome.left_out:
            click.echo("  Left out (the station's root may not vouch for them): " + ", ".join(outcome.left_out))
            click.echo("  A public address stays out. For a new host name: station-certificate --new-root,")
            click.echo("  then install the new root on every tablet again.")
        click.echo("  Root SHA-256: " + fingerprint(load_ca_certificate(folder)))
