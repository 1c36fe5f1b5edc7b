"""The production launcher: static files are there even without a prior collectstatic."""

import subprocess
import sys
import urllib.request

from harness.server import ROOT, ServerProcess


def test_a_fresh_checkout_with_debug_off_serves_pages_and_fingerprinted_static_files(tmp_path):
    static_root = tmp_path / "static"
    server = ServerProcess(database=tmp_path / "db.sqlite3", env={"STATIC_ROOT": str(static_root)})
    server.migrate()
    try:
        server.start(timeout=120)
        with urllib.request.urlopen(server.http + "/", timeout=10) as response:
            page = response.read().decode()
        assert response.status == 200
        assert (static_root / "staticfiles.json").exists()
        assert "/static/css/site." in page and ".css" in page
        stylesheet = page.split('href="/static/css/site.', 1)[1].split('"', 1)[0]
        with urllib.request.urlopen(f"{server.http}/static/css/site.{stylesheet}", timeout=10) as response:
            assert response.status == 200 and b"{" in response.read()
    finally:
        server.stop()


def test_the_launcher_is_daphnes_command_line():
    result = subprocess.run(
        [sys.executable, "-m", "attendance_project.serve", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0 and "--ping-interval" in result.stdout
