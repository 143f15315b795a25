"""The users CLI: the first admin in production, listing, passwords, disabling."""
import json

from .cli import run


def test_the_first_admin_is_made_with_the_cli_and_can_log_in(tmp_path):
    url = f"sqlite:///{tmp_path / 'u.db'}"
    prod = {"PORTAL_ENV": "production"}
    out = run("users", "add", "kepala", "--name", "Admin Pertama", "--role", "admin", "--password-stdin",
              url=url, stdin="sandi-admin-pertama\n", env_extra=prod)
    assert out.returncode == 0, out.stderr
    rows = json.loads(run("users", "list", "--json", url=url, env_extra=prod).stdout)
    assert rows == [{"username": "kepala", "name": "Admin Pertama", "email": None, "active": True,
                     "roles": [{"role": "admin", "scope": None}]}]
    from lib.base import accounts
    from lib.base.db import session_factory
    with session_factory(url).begin() as s:
        assert accounts.authenticate(s, "kepala", "sandi-admin-pertama").ok


def test_users_add_with_a_scope_passwd_and_disable(tmp_path):
    url = f"sqlite:///{tmp_path / 'u.db'}"
    assert run("users", "add", "siti", "--name", "Siti", "--role", "operator_desa", "--scope", "desa:karang-dalo",
               "--password-stdin", url=url, stdin="sandi-siti-1\n").returncode == 0
    assert run("users", "passwd", "siti", "--password-stdin", url=url, stdin="sandi-siti-2\n").returncode == 0
    assert run("users", "disable", "siti", url=url).returncode == 0
    rows = json.loads(run("users", "list", "--json", url=url).stdout)
    assert rows[0]["active"] is False and rows[0]["roles"] == [{"role": "operator_desa", "scope": "desa:karang-dalo"}]


def test_bad_input_gets_an_indonesian_message_and_exit_code_2(tmp_path):
    url = f"sqlite:///{tmp_path / 'u.db'}"
    no_stdin = run("users", "add", "budi", "--name", "Budi", "--role", "staf", url=url)
    short = run("users", "add", "budi", "--name", "Budi", "--role", "staf", "--password-stdin", url=url, stdin="abc\n")
    unscoped = run("users", "add", "budi", "--name", "Budi", "--role", "operator_desa", "--password-stdin", url=url,
                   stdin="sandi-budi-1\n")
    unknown = run("users", "disable", "tidak-ada", url=url)
    for out, text in ((no_stdin, "--password-stdin"), (short, "minimal 8"), (unscoped, "cakupan"),
                      (unknown, "tidak ada")):
        assert out.returncode == 2 and text in out.stderr and "Traceback" not in out.stderr
    assert json.loads(run("users", "list", "--json", url=url).stdout) == []
