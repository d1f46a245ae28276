"""A real Dovecot IMAP server in a temp dir on a free port (passwd-file auth, maildir), for the poller's tests."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from imapclient import IMAPClient

from tests.support.smtp import free_port

CONFIG = """\
base_dir = {d}/run
state_dir = {d}/run
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {d}/dovecot.log
mail_location = maildir:{d}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 100
shutdown_clients = yes
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
    ssl = yes
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={d}/mail/%u
}}
"""


class Dovecot:
    """Start, stop, restart; APPEND seed mail; read folders back."""

    def __init__(self, users: dict[str, str], tls: tuple[Path, Path] | None = None) -> None:
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        if not Path(binary).exists():
            raise RuntimeError("dovecot is not installed (scripts/test installs dovecot-imapd)")
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="mailflow-dovecot-", dir="/tmp"))
        self.dir.chmod(0o755)
        self.port, self.tls_port = free_port(), free_port()
        self.users = users
        (self.dir / "mail").mkdir()
        (self.dir / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in users.items()))
        ssl = f"ssl = yes\nssl_cert = <{tls[0]}\nssl_key = <{tls[1]}" if tls else "ssl = no"
        (self.dir / "dovecot.conf").write_text(
            CONFIG.format(d=self.dir, port=self.port, tls_port=self.tls_port, ssl=ssl)
        )
        shutil.chown(self.dir / "mail", "dovecot", "dovecot")

    def start(self) -> None:
        subprocess.run([self.binary, "-c", str(self.dir / "dovecot.conf")], check=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start: {self.log()[-2000:]}")

    def stop(self) -> None:
        pid_file = self.dir / "run" / "master.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text())
        subprocess.run(["kill", "-TERM", str(pid)], check=False)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)
        if _alive(pid):
            subprocess.run(["kill", "-KILL", str(pid)], check=False)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient("127.0.0.1", self.port, ssl=False, timeout=30)
        client.login(user, self.users[user])
        return client

    def append(self, user: str, messages: list[bytes], folder: str = "INBOX") -> None:
        with self.client(user) as client:
            for raw in messages:
                client.append(folder, raw)

    def uids(self, user: str, folder: str) -> list[int]:
        with self.client(user) as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return client.search("ALL")

    def empty(self, user: str) -> None:
        """Delete every folder but INBOX and empty INBOX."""
        with self.client(user) as client:
            for _, _, name in client.list_folders():
                if name != "INBOX":
                    client.delete_folder(name)
            client.select_folder("INBOX")
            uids = client.search("ALL")
            if uids:
                client.delete_messages(uids)
                client.expunge()


def _alive(pid: int) -> bool:
    try:
        import os

        os.kill(pid, signal.SIG_DFL)
        return True
    except ProcessLookupError:
        return False
