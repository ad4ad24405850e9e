"""Connecting to a dask scheduler, with the security this implies said out loud.

dask sends pickles both ways: whoever can talk to the scheduler can run code
on the client and the workers. Over plain ``tcp://`` nothing is encrypted or
authenticated, which is fine on one machine and a risk anywhere else.
"""

import ipaddress
import os
import socket
import threading
import warnings
from urllib.parse import urlsplit

from .exceptions import InsecureSchedulerWarning

__all__ = [
    "check_scheduler_options",
    "connect_scheduler",
    "is_loopback",
]


def is_loopback(host):
    """Whether ``host`` (a name or an address) is this machine's loopback.

    Parameters
    ----------
    host : str

    Returns
    -------
    bool
        False when the name does not resolve.
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def check_scheduler_options(address, tls_ca_file=None, tls_cert=None, tls_key=None):
    """Check that the address and the TLS files go together, before any work.

    Parameters
    ----------
    address : str
    tls_ca_file, tls_cert, tls_key : str, default=None

    Returns
    -------
    scheme : {'tls', 'tcp', ...}
        The address's scheme (``'tcp'`` when it has none).

    Raises
    ------
    ValueError
        If the address is empty, if only some of the TLS files are given or
        one does not exist, if they are given with a plain-TCP address, or if
        a ``tls://`` address comes without them.
    """
    if not address.strip():
        raise ValueError("the dask scheduler address is empty.")
    files = (tls_ca_file, tls_cert, tls_key)
    scheme = urlsplit(address).scheme if "://" in address else "tcp"
    if any(files) and not all(files):
        raise ValueError("TLS needs all three of --tls-ca-file, --tls-cert and --tls-key.")
    if all(files) and scheme != "tls":
        raise ValueError(
            f"TLS certificates were given for {address!r}, which is not a tls:// address."
        )
    if scheme == "tls" and not all(files):
        raise ValueError(
            f"{address!r} is a tls:// address: give --tls-ca-file, --tls-cert and --tls-key."
        )
    for flag, path in zip(("--tls-ca-file", "--tls-cert", "--tls-key"), files):
        if path is not None and not os.path.isfile(path):
            raise ValueError(f"{flag} {path}: no such file.")
    return scheme


def connect_scheduler(address, *, tls_ca_file=None, tls_cert=None, tls_key=None, timeout="10s"):
    """A ``dask.distributed.Client`` on ``address``, over TLS when given certificates.

    Parameters
    ----------
    address : str
        ``tls://host:port`` (with the three TLS files), or ``tcp://host:port``
        / ``host:port`` (plain TCP).
    tls_ca_file, tls_cert, tls_key : str, default=None
        PEM files: the certificate authority that signed the scheduler's
        certificate, and this client's certificate and key. Passed to
        ``dask.distributed.Security(require_encryption=True)``.
    timeout : str, default="10s"

    Returns
    -------
    client : dask.distributed.Client

    Raises
    ------
    ValueError
        As :func:`check_scheduler_options`.
    OSError, TimeoutError
        If the scheduler cannot be reached.

    Warns
    -----
    InsecureSchedulerWarning
        For plain TCP to a host other than this machine: the pickles that
        travel are neither encrypted nor authenticated, so whoever reaches
        the scheduler's port can run code here.
    """
    from dask.distributed import Security

    scheme = check_scheduler_options(address, tls_ca_file, tls_cert, tls_key)
    if scheme == "tls":
        security = Security(
            tls_ca_file=tls_ca_file,
            tls_client_cert=tls_cert,
            tls_client_key=tls_key,
            require_encryption=True,
        )
        return _client_within(timeout, address, security=security)
    host = urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
    if not is_loopback(host):
        warnings.warn(
            f"The dask scheduler {address} is reached over plain TCP: dask sends "
            "pickles both ways, unencrypted and unauthenticated, so whoever can "
            "reach that port can run code on this machine. Use a tls:// address "
            "with certificates on networks you do not fully trust.",
            InsecureSchedulerWarning,
            stacklevel=2,
        )
    return _client_within(timeout, address)


def _client_within(timeout, address, **kwargs):
    """``Client(address, timeout=timeout, **kwargs)``, given up after twice the timeout.

    dask's timeout covers the connection, not the handshake after it: a
    server that accepts and never answers (a dashboard or proxy port) would
    hang the client forever. The attempt runs in a daemon thread, which a
    hung handshake leaves behind without keeping the process alive.
    """
    from dask.distributed import Client
    from dask.utils import parse_timedelta

    outcome = {}

    def connect():
        try:
            outcome["client"] = Client(address, timeout=timeout, **kwargs)
        except BaseException as exc:  # handed to the caller below
            outcome["error"] = exc

    thread = threading.Thread(target=connect, name="sknet-dask-connect", daemon=True)
    thread.start()
    thread.join(2 * parse_timedelta(timeout) + 1)
    if thread.is_alive():
        raise TimeoutError(f"no dask handshake from {address} within {timeout} (twice over)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["client"]
