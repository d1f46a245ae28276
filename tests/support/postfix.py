"""A private Postfix instance in a temp dir on loopback ports (never the system's port 25 configuration)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.support.smtp import free_port

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {d}/spool
data_directory = {d}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mta.example.test
mydomain = example.test
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = {domains}
transport_maps = texthash:{d}/etc/transport
smtpd_relay_restrictions = permit_mynetworks, reject
smtp_dns_support_level = disabled
smtp_host_lookup = native
alias_maps =
alias_database =
local_recipient_maps =
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_connect_timeout = 5s
smtputf8_enable = no
append_dot_mydomain = no
biff = no
"""


class PrivatePostfix:
    """Relays each domain of `routes` to 127.0.0.1:port; its own SMTP server listens on self.port."""

    def __init__(self, folder: Path, routes: dict[str, int]) -> None:
        self.dir = folder
        self.port = free_port()
        self.routes = routes
        self.etc = folder / "etc"

    @staticmethod
    def master_template() -> Path | None:
        """The packaged master.cf (Debian's "No configuration" install leaves /etc/postfix without one)."""
        for path in (Path("/etc/postfix/master.cf"), Path("/usr/share/postfix/master.cf.dist")):
            if path.exists():
                return path
        return None

    @classmethod
    def available(cls) -> bool:
        return shutil.which("postfix") is not None and cls.master_template() is not None

    def _master_cf(self) -> str:
        lines = []
        template = self.master_template()
        assert template is not None
        for line in template.read_text().splitlines():
            fields = line.split()
            if fields[:2] == ["smtp", "inet"]:
                line = f"127.0.0.1:{self.port} inet n - n - - smtpd"
            elif len(fields) >= 8 and not line[:1].isspace() and not line.startswith("#"):
                fields[4] = "n"  # no chroot: the temp dir holds no copy of /etc
                line = " ".join(fields)
            lines.append(line)
        return "\n".join(lines) + "\n"

    def start(self) -> None:
        self.dir.chmod(0o755)
        self.etc.mkdir(parents=True)
        (self.dir / "data").mkdir()
        (self.dir / "spool").mkdir()
        shutil.chown(self.dir / "data", "postfix", "postfix")
        domains = " ".join(self.routes)
        (self.etc / "main.cf").write_text(MAIN_CF.format(d=self.dir, domains=domains))
        (self.etc / "master.cf").write_text(self._master_cf())
        (self.etc / "transport").write_text(
            "".join(f"{domain} smtp:[127.0.0.1]:{port}\n" for domain, port in self.routes.items())
        )
        self._postfix("check")  # creates the queue directories with their owners
        self._postfix("start")

    def _postfix(self, *args: str) -> None:
        result = subprocess.run(
            ["postfix", "-c", str(self.etc), *args], check=False, capture_output=True, text=True, timeout=60
        )
        if result.returncode != 0:
            raise RuntimeError(f"postfix {' '.join(args)} failed: {result.stderr}{result.stdout}")

    def log(self) -> str:
        path = self.dir / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        subprocess.run(
            ["postfix", "-c", str(self.etc), "abort"], check=False, capture_output=True, timeout=60
        )

    def bounced(self) -> list[str]:
        """Recipients the log says bounced."""
        return re.findall(r"to=<([^>]+)>.*status=bounced", self.log())
