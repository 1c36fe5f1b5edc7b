"""Static files with DEBUG=0: collected, content-hashed and served by WhiteNoise."""

import gzip
import re
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.server


def fetch(url: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_pages_link_hashed_static_files_that_whitenoise_serves(server):
    status, _, page = fetch(server.http + "/")
    assert status == 200
    stylesheet = re.search(rb'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page)
    script = re.search(rb'src="(/static/js/site\.[0-9a-f]{12}\.js)"', page)
    assert stylesheet and script, page[:2000]

    status, headers, body = fetch(server.http + stylesheet.group(1).decode())
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert "immutable" in headers["Cache-Control"]
    assert b".mark-grid" in body

    status, headers, body = fetch(server.http + stylesheet.group(1).decode(), **{"Accept-Encoding": "gzip"})
    assert headers.get("Content-Encoding") == "gzip"
    assert b".mark-grid" in gzip.decompress(body)

    status, headers, body = fetch(server.http + script.group(1).decode())
    assert status == 200
    assert "javascript" in headers["Content-Type"]


def test_live_pages_scripts_are_served(server):
    for name in ("live-socket", "teacher-live", "student-live"):
        status, _, body = fetch(f"{server.http}/static/js/{name}.js")
        assert status == 200, name
        assert b"use strict" in body, name


def test_a_missing_static_file_is_an_html_404(server):
    status, headers, _ = fetch(server.http + "/static/css/missing.css")

    assert status == 404
    assert headers["Content-Type"].startswith("text/html")
