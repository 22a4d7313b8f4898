"""The one place that starts Debian's nginx on the public site: the site tests and the site benchmark
use it. ``serve(site)`` runs nginx with ``deploy/nginx/site.conf`` as shipped, but for the port (a
free loopback one) and the root, in a folder of its own, in its own session; the whole process
group is stopped when the ``with`` block ends, however it ends.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scripts.browser import ROOT, free_port, stop_group, wait_for_port

CONF = ROOT / "deploy" / "nginx" / "site.conf"


def nginx_path() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@contextmanager
def serve(site: Path, workers: int = 1) -> Iterator[str]:
    """nginx serving ``site``; yields its base URL (no trailing slash)."""
    nginx = nginx_path()
    if nginx is None:
        raise FileNotFoundError("nginx is not installed (apt-get install nginx)")
    port = free_port()
    site_conf = CONF.read_text(encoding="utf-8")
    site_conf = site_conf.replace("listen 80;", f"listen 127.0.0.1:{port} backlog=4096;")
    site_conf = site_conf.replace(
        "root /srv/eparticipation/public/site;", f"root {site.absolute()};"
    )  # the link itself: a rebuild swaps it
    with tempfile.TemporaryDirectory(prefix="nginx-") as tmp:
        prefix = Path(tmp)
        for d in ("logs", "tmp"):
            (prefix / d).mkdir()
        temp_paths = "\n".join(
            f"    {kind}_temp_path {prefix / 'tmp' / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        conf = prefix / "nginx.conf"
        conf.write_text(
            f"""worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    open_file_cache max=1000;
{temp_paths}
{site_conf}
}}
""",
            encoding="utf-8",
        )
        glob = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")  # root: read the test's tmp folders
        proc = subprocess.Popen(  # noqa: S603 (our own nginx on loopback)
            [nginx, "-p", str(prefix), "-c", str(conf), "-g", glob],
            start_new_session=True,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for_port(proc, port, "nginx", 10)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_group(proc, 10)
