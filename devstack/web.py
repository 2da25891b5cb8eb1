"""The static web pages (web/) served as CloudFront serves them, plus the config files the stack writes.

The pages live on their own origin (another port), so they call the API cross-origin, as a widget
embedded on a tenant's site does. `agenda/config.json` and `widget/demo-config.json` are generated
from the running stack; the widget is also served under its versioned path with a long cache life.
"""

from __future__ import annotations

import json
import re
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
WIDGET = "widget/creneau-widget.js"
_VERSIONED = re.compile(r"^/widget/(?P<version>[0-9][0-9A-Za-z.\-]*)/creneau-widget\.js$")


def widget_version(root: Path = WEB_ROOT) -> str:
    """The version the widget script declares (`const VERSION = "x.y.z"`): its immutable path's name."""
    found = re.search(r'const VERSION = "([^"]+)"', (root / WIDGET).read_text(encoding="utf-8"))
    if not found:
        raise ValueError(f"{WIDGET} declares no VERSION")
    return found.group(1)


class WebServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], generated: dict[str, dict], root: Path = WEB_ROOT) -> None:
        super().__init__(address, partial(WebHandler, directory=str(root)))
        self.generated, self.version = generated, widget_version(root)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class WebHandler(SimpleHTTPRequestHandler):
    server: WebServer
    immutable = False

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self._resolve():
            super().do_GET()

    def do_HEAD(self) -> None:  # noqa: N802
        if self._resolve():
            super().do_HEAD()

    def _resolve(self) -> bool:
        """Answer the generated files here; map the versioned widget path to the script. False: done."""
        path = self.path.partition("?")[0]
        if path in self.server.generated:
            self._send_json(self.server.generated[path])
            return False
        versioned = _VERSIONED.match(path)
        if versioned:
            if versioned.group("version") != self.server.version:
                self.send_error(404, "no such widget version")
                return False
            self.path, self.immutable = "/" + WIDGET, True
        return True

    def end_headers(self) -> None:
        # Versioned script: cached for a year (a new version has a new path). Everything else revalidates.
        cache = "public, max-age=31536000, immutable" if self.immutable else "no-cache"
        self.send_header("Cache-Control", cache)
        super().end_headers()

    def _send_json(self, data: dict) -> None:
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args) -> None:  # noqa: A002 (http.server's signature)
        pass  # static files: the API's log is the interesting one


COGNITO_KEYS = ("endpoint", "region", "user_pool_id", "client_id")


def generated_files(api_url: str, public_key: str | None, cognito: dict | None) -> dict[str, dict]:
    """The files `make run` writes beside the pages, as the deployment writes them from its outputs.
    Without a user pool (cognito None) the agenda offers only its development sign-in with an API key."""
    pool = {key: cognito[key] for key in COGNITO_KEYS} if cognito else None
    return {
        "/agenda/config.json": {"api_url": api_url, "cognito": pool},
        "/widget/demo-config.json": {"api_url": api_url, "api_key": public_key},
    }
