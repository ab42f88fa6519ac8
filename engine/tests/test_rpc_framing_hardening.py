"""Bytes that used to kill or hang `serve` (issue 12 item 2), sent to a real engine process over its pipes while a
run is going: each gets a -32700 error with id null, a following `ping` is answered, and the run completes.
Cases: Content-Length -5 / -1 / not a number / over MAX_MESSAGE_BYTES / absurdly long, 100k-deep nested JSON,
non-UTF-8 bodies and headers, NaN literals, an overlong header line."""

from __future__ import annotations

import pytest

from engine_client import EngineClient, write_config
from wsss_engine.rpc.framing import MAX_MESSAGE_BYTES

PING = b'{"jsonrpc": "2.0", "id": "p", "method": "ping"}'
DEEP = b"[" * 100_000 + b"]" * 100_000
NAN = b'{"jsonrpc": "2.0", "id": 7, "method": "ping", "params": {"x": NaN}}'

CASES = {
    "negative length with a body": b"Content-Length: -5\r\n\r\n" + PING,
    "length -1 with a body": b"Content-Length: -1\r\n\r\n{}",
    "length -1 alone": b"Content-Length: -1\r\n\r\n",
    "length not a number": b"Content-Length: 1e3\r\n\r\n{}",
    "length over the cap": b"Content-Length: %d\r\n\r\n{}" % (MAX_MESSAGE_BYTES + 1),
    "length of 5000 digits": b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n{}",
    "100k-deep nesting": b"Content-Length: %d\r\n\r\n" % len(DEEP) + DEEP,
    "non-UTF-8 body": b'Content-Length: 4\r\n\r\n"\xff\xfe"',
    "non-ASCII header": b"Content-L\xe9ngth: 2\r\n\r\n{}",
    "NaN literal": b"Content-Length: %d\r\n\r\n" % len(NAN) + NAN,
    "overlong header line": b"X-Junk: " + b"a" * 100_000 + b"\r\n\r\n",
}
# what the error message says, where it is more than "parse error"
SAYS = {
    "length over the cap": "MAX_MESSAGE_BYTES",
    "100k-deep nesting": "too deeply",
    "non-UTF-8 body": "not UTF-8",
    "NaN literal": "NaN",
    "length -1 alone": "non-negative integer",
    "length of 5000 digits": "MAX_MESSAGE_BYTES",
    "negative length with a body": "non-negative integer",
    "overlong header line": "malformed header line",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    client = EngineClient()
    tmp = tmp_path_factory.mktemp("framing")
    config = write_config(tmp, [{"id": "count", "type": "count", "steps": 40, "sleep_s": 0.1}])
    client.run_id = client.result(
        "run/start", {"configPath": str(config), "runDir": str(tmp / "run"), "resume": False}
    )["runId"]
    yield client
    assert client.finished(client.run_id, 60)["status"] == "completed", "a running run was disturbed"
    assert client.close() == 0 and client.proc.returncode == 0


@pytest.mark.parametrize("name", list(CASES))
def test_bad_frame_gets_32700_and_the_engine_answers_the_next_ping(engine, name):
    engine.unmatched.clear()
    engine.responses.pop("p", None)
    engine.send_raw(CASES[name] + b"Content-Length: %d\r\n\r\n" % len(PING) + PING)
    pong = engine.wait_for(lambda: engine.responses.get("p"), 20, f"ping after {name}")
    assert "result" in pong, pong
    assert engine.unmatched, f"no error for {name}"
    assert all(m["error"]["code"] == -32700 and m["id"] is None for m in engine.unmatched), engine.unmatched
    assert engine.proc.poll() is None
    messages = " | ".join(m["error"]["message"] for m in engine.unmatched)
    assert SAYS.get(name, "parse error") in messages, messages
