"""docs/nginx.md's configuration, run by Debian's nginx in front of the panel on loopback ports."""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests.support.factories import make_list
from tests.support.smtp import free_port

DOC = Path(__file__).resolve().parents[2] / "docs" / "nginx.md"
HOST = "lists.example.org"
CANONICAL = re.compile(r'<link rel="canonical" href="([^"]+)">')


def doc_config() -> str:
    text = DOC.read_text()
    block = text.split("<!-- nginx-config: begin", 1)[1].split("<!-- nginx-config: end -->", 1)[0]
    return block.split("```nginx\n", 1)[1].split("```", 1)[0]


def adapt(config: str, http_port: int, https_port: int, panel_port: int, cert: Path, key: Path) -> str:
    """Swap the production ports and certificate for test ones; each swap must apply (the doc must not drift)."""
    swaps = [
        ("    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n"),
        ("    listen [::]:80;\n", ""),
        ("    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https_port} ssl;\n"),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("/etc/letsencrypt/live/lists.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/lists.example.org/privkey.pem", str(key)),
        ("proxy_pass http://127.0.0.1:8000;", f"proxy_pass http://127.0.0.1:{panel_port};"),
    ]
    for old, new in swaps:
        assert old in config, f"docs/nginx.md no longer contains {old!r}"
        config = config.replace(old, new)
    return config


@pytest.fixture
def certificate(tmp_path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={HOST}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def start_panel(settings: dict, hops: int):
    app = create_app(
        {**settings, "PROXY_HOPS": str(hops), "TRUSTED_HOSTS": HOST, "PUBLIC_URL": f"https://{HOST}"}
    )
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, server, port


@pytest.fixture
def nginx(tmp_path, certificate):
    """Start nginx on the doc's config; yields a function (panel_port) -> (http_port, https_port)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise RuntimeError("nginx is missing: scripts/test installs Debian's nginx-light")
    processes = []

    def start(panel_port: int) -> tuple[int, int]:
        prefix = tmp_path / f"nginx{len(processes)}"
        (prefix / "tmp").mkdir(parents=True)
        (prefix / "tmp").chmod(0o777)
        http_port, https_port = free_port(), free_port()
        (prefix / "mailflow.conf").write_text(
            adapt(doc_config(), http_port, https_port, panel_port, *certificate)
        )
        (prefix / "nginx.conf").write_text(
            f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\nevents {{}}\nhttp {{\n"
            f"  access_log {prefix}/access.log;\n"
            + "".join(
                f"  {kind}_temp_path {prefix}/tmp/{kind};\n"
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f"  include {prefix}/mailflow.conf;\n}}\n"
        )
        test = subprocess.run(
            [binary, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
            capture_output=True,
            text=True,
        )
        assert test.returncode == 0, test.stderr
        process = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        processes.append(process)
        _wait_for_port(https_port)
        return http_port, https_port

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


def _wait_for_port(port: int) -> None:
    import socket

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port}")


def _get(url: str, host: str = HOST):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect())
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.parametrize("hops", [1, 0])
def test_docs_nginx_config_proxies_with_the_right_scheme_and_host(app, settings, nginx, hops):
    make_list("team@example.org", "Team", subscription_policy="open")
    panel, server, panel_port = start_panel(settings, hops)
    try:
        http_port, https_port = nginx(panel_port)
        status, headers, _ = _get(f"http://127.0.0.1:{http_port}/subscribe/team@example.org")
        assert status == 301 and headers["Location"] == f"https://{HOST}/subscribe/team@example.org"
        status, headers, body = _get(f"https://127.0.0.1:{https_port}/subscribe/team@example.org")
        assert status == 200, body[:300]
        link = CANONICAL.search(body).group(1)
        if hops:
            assert link == f"https://{HOST}:{https_port}/subscribe/team@example.org"
        else:  # without ProxyFix the panel only knows the hop it was called on
            assert link.startswith(f"http://{HOST}/")
        assert headers["Content-Security-Policy"].count("frame-ancestors 'none'") == 1
        status, _, _ = _get(f"https://127.0.0.1:{https_port}/healthz", host="evil.example")
        assert status == 400  # MAILFLOW_TRUSTED_HOSTS refuses other Host headers
    finally:
        server.shutdown()
        with panel.app_context():
            db.engine.dispose()
