"""`make stack` refuses clearly when something it needs is missing (the running stack: tests/realserver)."""

import pytest

from attendance_project import stack as stack_module
from attendance_project.stack import Stack, StackError


def test_at_least_one_worker():
    with pytest.raises(StackError, match="--workers must be at least 1"):
        Stack(workers=0, port=3000)


def test_without_caddy_the_stack_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(stack_module.shutil, "which", lambda name: None)
    with pytest.raises(StackError, match=r"caddy is not installed \(apt-get install caddy\)"):
        Stack(workers=2, port=3000, state_dir=tmp_path).start()
    assert stack_module.main(["--workers", "2", "--port", "3000"]) == 1
    assert "stack: caddy is not installed" in capsys.readouterr().err


def test_without_any_redis_the_stack_stops_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(stack_module.shutil, "which", lambda name: "/usr/bin/caddy" if name == "caddy" else None)
    monkeypatch.setattr(stack_module, "redis_answers", lambda host, port: False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    running = Stack(workers=2, port=3000, state_dir=tmp_path)
    with pytest.raises(StackError, match=r"no Redis on 127\.0\.0\.1:6379 and no redis-server to start"):
        running.start()
    assert running.processes == []
