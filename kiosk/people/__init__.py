"""People: keepers (signing in, the keeper pages' guard), volunteers and their teams, badges, the
roster import, and the audit trail every keeper change writes. Features build on it.

- volunteers.py       registering, editing, finding, deactivating
- badges.py           badge tokens (what a QR carries) and re-issuing
- keepers.py          sign-in and the guard every keeper page passes (`keeper_blueprint`)
- volunteer_import.py CSV rosters, previewed before anything is stored
- audit.py            who changed what; features name their own changes
- auth.py, keeper_routes.py  sign-in and the keeper's people pages
- keeper_accounts.py  adding keepers, a new password for one, deactivating one (page and commands)
- account_routes.py   the keeper's own account: a new password; the station's keepers"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.text import mask_name
from kiosk.core.web import add_keeper_link


def init_app(app: Flask) -> None:
    from kiosk.people import (account_routes, audit, auth, badges, cli, forms, keeper_accounts,  # noqa: F401
                              keeper_routes, models, privacy, teams, volunteers)

    app.register_blueprint(auth.bp)
    app.register_blueprint(keeper_routes.bp)
    app.register_blueprint(account_routes.bp)
    audit.init_app(app)
    audit.add_audit_labels(app, {keeper_accounts.ADDED: _l("added a keeper"),
                                 keeper_accounts.PASSWORD_RESET: _l("gave a keeper a new password"),
                                 keeper_accounts.DEACTIVATED: _l("deactivated a keeper"),
                                 keeper_accounts.REACTIVATED: _l("reactivated a keeper")},
                           describe=keeper_accounts.describe)
    cli.init_app(app)
    app.jinja_env.filters["masked"] = mask_name
    app.jinja_env.filters["masked_id"] = volunteers.mask_id_number
    app.jinja_env.filters["shown_mobile"] = privacy.shown_mobile
    app.jinja_env.globals["id_type_label"] = forms.id_type_label
    # What a whole badge code looks like, so a scanner form can send it the moment it is complete.
    app.jinja_env.globals["badge_pattern"] = badges.TOKEN.pattern
    app.jinja_env.globals["badge_start_pattern"] = badges.TOKEN_START.pattern
    app.login_manager.login_view = "auth.login"
    add_keeper_link(app, "keeper.volunteers", _l("Volunteers"), 20, everyday=True)
    add_keeper_link(app, "keeper.import_volunteers", _l("Import"), 40)
    add_keeper_link(app, "keeper.print_badges", _l("Print badges"), 50)
    add_keeper_link(app, "account.account", _l("My account"), 200)  # last under "More"
