"""What a worker carries all day: libraries only a rare page needs are imported when it is asked
for, not when the app starts (the target is 80 MB per idle worker; bench/README)."""

import subprocess
import sys

# A download a keeper makes a few times a month, a certificate a tablet fetches once.
RARELY_NEEDED = ("openpyxl", "cryptography")


def test_a_started_app_has_not_imported_what_only_rare_pages_need(tmp_path):
    code = (
        "import sys\n"
        "from kiosk import create_app\n"
        f"create_app({{'SECRET_KEY': 'x', 'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/k.sqlite',"
        f" 'INSTANCE_PATH': '{tmp_path}/instance'}})\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({RARELY_NEEDED!r})))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
