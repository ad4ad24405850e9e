"""Connecting to a dask scheduler: TLS options, and a warning for plain TCP off this machine."""

import warnings

import pytest

from sknet._cluster import check_scheduler_options, connect_scheduler, is_loopback
from sknet.cli import main
from sknet.exceptions import InsecureSchedulerWarning

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture
def clients(monkeypatch):
    """Record the Client calls instead of connecting."""
    calls = []

    def client(address, **kwargs):
        calls.append((address, kwargs))
        return "client"

    monkeypatch.setattr(distributed, "Client", client)
    return calls


@pytest.mark.parametrize("host, expected", [
    ("127.0.0.1", True), ("127.5.0.1", True), ("::1", True), ("localhost", True),
    ("10.1.2.3", False), ("192.168.0.7", False), ("no-such-host.invalid", False),
])
def test_is_loopback(host, expected):
    assert is_loopback(host) is expected


@pytest.mark.parametrize("address", ["tcp://10.1.2.3:8786", "10.1.2.3:8786",
                                     "tcp://no-such-host.invalid:8786"])
def test_plain_tcp_off_this_machine_warns(clients, address):
    with pytest.warns(InsecureSchedulerWarning, match="run code on this machine"):
        assert connect_scheduler(address) == "client"
    assert clients == [(address, {"timeout": "10s"})]


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "localhost:8786",
                                     "tcp://[::1]:8786"])
def test_plain_tcp_on_loopback_is_quiet(clients, address):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        connect_scheduler(address)
    assert clients[0][0] == address


def test_tls_address_connects_with_required_encryption(clients, tmp_path):
    files = {name: str(tmp_path / f"{name}.pem") for name in ("ca", "cert", "key")}
    for path in files.values():
        open(path, "w").close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        connect_scheduler("tls://10.1.2.3:8786", tls_ca_file=files["ca"],
                          tls_cert=files["cert"], tls_key=files["key"])
    (address, kwargs), = clients
    security = kwargs["security"]
    assert address == "tls://10.1.2.3:8786"
    assert security.require_encryption
    assert security.tls_ca_file == files["ca"]
    assert security.tls_client_cert == files["cert"]
    assert security.tls_client_key == files["key"]


@pytest.mark.parametrize("address, files, message", [
    ("tls://10.1.2.3:8786", (None, None, None), "is a tls:// address"),
    ("tcp://10.1.2.3:8786", ("a", "b", "c"), "not a tls:// address"),
    ("tls://10.1.2.3:8786", ("a", None, "c"), "all three"),
])
def test_mismatched_tls_options_are_refused(address, files, message):
    with pytest.raises(ValueError, match=message):
        check_scheduler_options(address, *files)


@pytest.mark.parametrize("argv, message", [
    (["--scheduler", "tls://10.1.2.3:8786"], "is a tls:// address"),
    (["--scheduler", "tcp://10.1.2.3:8786", "--tls-ca-file", "a", "--tls-cert", "b",
      "--tls-key", "c"], "not a tls:// address"),
    (["--tls-cert", "b"], "none is given"),
    (["--scheduler", ""], "address is empty"),
    (["--scheduler", "tls://10.1.2.3:8786", "--tls-ca-file", "missing-ca.pem", "--tls-cert",
      "b", "--tls-key", "c"], "--tls-ca-file missing-ca.pem: no such file"),
])
def test_cli_refuses_mismatched_tls_options_before_any_work(argv, message, tmp_path, capsys,
                                                           clients):
    status = main(["recipe", "--output", str(tmp_path / "out"), "--quiet", *argv])
    _, err = capsys.readouterr()
    assert status == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() and not clients


def test_cli_reports_a_failed_handshake_as_an_input_error(tmp_path, capsys, monkeypatch):
    """Something else answering on the port makes dask's handshake raise
    anything (a MemoryError for a 3 EiB 'message' from an HTTP proxy): the
    command exits 2 with the usual message, not a traceback."""
    import sknet._cluster

    def handshake(*args, **kwargs):
        raise MemoryError("Unable to allocate 3.07 EiB")

    monkeypatch.setattr(sknet._cluster, "connect_scheduler", handshake)
    status = main(["recipe", "iris", "--budget-fits", "6", "--cv", "2", "--max-iter", "5",
                   "--output", str(tmp_path / "out"), "--quiet",
                   "--scheduler", "tcp://127.0.0.1:8787"])
    _, err = capsys.readouterr()
    assert status == 2 and "Traceback" not in err
    assert "cannot connect to the dask scheduler tcp://127.0.0.1:8787 (MemoryError" in err
    assert "not the dashboard's" in err


def test_a_port_that_never_answers_the_handshake_times_out():
    """A server that accepts and stays silent (a dashboard or proxy port)
    hung dask's Client forever; the connection now gives up."""
    import socket
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        start = time.monotonic()
        with pytest.raises((TimeoutError, OSError)):
            connect_scheduler(f"tcp://127.0.0.1:{port}", timeout="1s")
        assert time.monotonic() - start < 30
    finally:
        server.close()
