"""Fetching pretrained weights without ever hanging: cached file, local path, or a download with a timeout.

A missing or undownloadable file becomes `WeightsMissing` naming the file and how to provide it.
"""

from __future__ import annotations

import os
import socket
import urllib.parse
from pathlib import Path

from ..errors import WeightsMissing

DOWNLOAD_TIMEOUT_S = 10.0


def offline_requested() -> bool:
    """True when the user asked for no network (HF_HUB_OFFLINE / WSSS_OFFLINE)."""
    return any(os.environ.get(v, "").lower() in ("1", "true", "yes") for v in ("HF_HUB_OFFLINE", "WSSS_OFFLINE"))


def host_reachable(url: str, timeout_s: float = 3.0) -> bool:
    """A TCP connect to the URL's host: a cheap offline test that returns within `timeout_s`."""
    if offline_requested():
        return False
    parsed = urllib.parse.urlparse(url)
    host, port = parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80)
    if not host:
        return False
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def locate_url(url: str, cache_dir: Path, what: str, hint: str) -> Path:
    """Where `url`'s cached copy is (or will be): WeightsMissing when it is absent and cannot be downloaded.
    Downloads nothing (run preflight checks use this)."""
    cache_dir = Path(cache_dir)
    target = cache_dir / os.path.basename(urllib.parse.urlparse(url).path)
    if not target.is_file() and not host_reachable(url):
        raise WeightsMissing(
            f"{what}: {target.name} is not in {cache_dir} and {url} cannot be reached (offline?)",
            hint=hint,
            path=str(target),
        )
    return target


def fetch_url(url: str, cache_dir: Path, what: str, hint: str) -> Path:
    """Return the cached copy of `url` in `cache_dir`, downloading it (with a socket timeout) if absent."""
    cache_dir = Path(cache_dir)
    target = locate_url(url, cache_dir, what, hint)
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    import torch.hub

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        torch.hub.download_url_to_file(url, str(target), progress=False)
    except Exception as exc:  # any network/IO failure is the same to the user: no weights
        target.unlink(missing_ok=True)
        raise WeightsMissing(f"{what}: downloading {url} failed ({exc})", hint=hint, path=str(target)) from exc
    finally:
        socket.setdefaulttimeout(previous)
    return target


def local_file(path: str | Path, what: str, hint: str) -> Path:
    """A user-given weights file that must exist."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise WeightsMissing(f"{what}: weights file {p} does not exist", hint=hint, path=str(p))
    return p
