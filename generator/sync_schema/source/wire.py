"""The catalog read over PostgreSQL's wire protocol with the standard library alone.

source/read.py tries it before psycopg, whose import (0.19 s) is more than a small
catalog's whole read: half of an in-sync `check --db-url`. It speaks protocol 3.0 for one
read: a plain URL, a
TCP or Unix-socket connection, TLS as libpq's `disable` / `allow` / `prefer` / `require`
modes do it (encrypted, not verified), trust, password, md5 or SCRAM-SHA-256 auth, then
`catalog_statement` in a READ ONLY transaction under the statement timeout, for a catalog
of at most MAX_COLUMNS columns (above, psycopg is faster).

Everything else raises `Unsupported` and the caller reads through psycopg as always: a
key=value string, several hosts, a URL parameter it does not know, any PG* variable,
certificate settings or a ~/.postgresql folder, channel binding required, a password it
would have to look up, SASLprep, a failed connection or login. libpq then gives its own
answer and its own message. Once the catalog statement runs, a statement timeout and a
silent server are reported here, with the messages of the psycopg path, rather than
waited for twice.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import socket
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

from sync_schema.source.catalog import (
    catalog_statement,
    check_statement_timeout,
    column_count_statement,
    silence_error,
    silence_limit,
    statement_timeout_error,
)

_PROTOCOL = 196608  # 3.0
_SSL_REQUEST = 80877103
_DEFAULT_CONNECT_TIMEOUT_S = 10  # CONNECTION_DEFAULTS in introspect.py
_SSLMODES = ("disable", "allow", "prefer", "require")
#: URL parameters this client reads; the keepalive ones are tuning it applies its own way.
_KNOWN_PARAMS = frozenset(
    {
        "host",
        "port",
        "dbname",
        "user",
        "password",
        "sslmode",
        "application_name",
        "connect_timeout",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "tcp_user_timeout",
    }
)
_SQLSTATE_QUERY_CANCELED = "57014"
#: Above this many columns psycopg is faster despite its import: the one-statement read
#: (json_agg on the server, json.loads and the row conversion here) costs about 10 us a
#: column more than psycopg's pipelined queries, against 0.19 s to import psycopg (measured
#: on big1000, 2026-12-03: 0.61 s against 0.36 s in process).
MAX_COLUMNS = 5000


class Unsupported(Exception):
    """This client does not do what the URL, the environment or the server asks: use psycopg."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where and as whom to connect, read from a URL exactly as libpq would read it."""

    host: str  # a host name, an IP address, or a Unix-socket directory (starts with "/")
    port: int
    user: str
    dbname: str
    password: str | None = field(default=None, repr=False)
    sslmode: str = "prefer"
    application_name: str = "sync-schema"
    connect_timeout: float = _DEFAULT_CONNECT_TIMEOUT_S

    @property
    def is_socket(self) -> bool:
        """Whether the host names a Unix-socket directory."""
        return self.host.startswith("/")


def check_environment(env: Mapping[str, str]) -> None:
    """Unsupported when libpq would take something from the environment or ~/.postgresql."""
    if any(name.startswith("PG") for name in env):
        raise Unsupported("a PG* variable changes libpq's defaults")
    try:
        certificates = Path.home().joinpath(".postgresql").exists()
    except (RuntimeError, OSError):
        certificates = True  # no home to look in: do not guess what libpq would find
    if certificates:
        raise Unsupported("~/.postgresql may hold certificates libpq would use")


def parse_url(dsn: str) -> Target:
    """The target of a `postgresql://` URL; Unsupported for anything libpq might read otherwise."""
    if any(ch <= " " or ch == "\x7f" or ch.isspace() for ch in dsn):
        raise Unsupported("raw spaces or control characters (libpq keeps them, Python strips)")
    scheme, sep, rest = dsn.partition("://")
    if not sep or scheme.lower() not in ("postgresql", "postgres"):
        raise Unsupported("not a postgresql:// URL")
    rest, _, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    if "@" in path or "/" in path or "#" in rest + query:
        raise Unsupported("an ambiguous URL")
    userinfo, at, hostport = authority.rpartition("@")
    if at and userinfo.count("@"):
        raise Unsupported("an unencoded @ in the credentials")
    user, colon, password = userinfo.partition(":")
    params: dict[str, str] = {}
    if query:
        for item in query.split("&"):
            key, eq, value = item.partition("=")
            key = _decode(key)
            if not eq or key not in _KNOWN_PARAMS or key in params:
                raise Unsupported("a URL parameter this client does not read")
            params[key] = _decode(value)
    host, port = _host_port(hostport)
    user = params.get("user", _decode(user))
    if not user:
        raise Unsupported("no user: libpq would take the operating system's")
    # An empty password is no password to libpq, which then looks in ~/.pgpass.
    password_value = params.get("password", _decode(password) if colon else None) or None
    host = params.get("host", host)
    if not host or "," in host or host.startswith("@"):
        raise Unsupported("no host, several hosts or an abstract socket")
    port_text = params.get("port", port)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise Unsupported("a port that is not a number")
    sslmode = params.get("sslmode", "prefer")
    if sslmode not in _SSLMODES or (host.startswith("/") and sslmode == "require"):
        raise Unsupported("certificate verification, or TLS asked of a Unix socket")
    timeout_text = params.get("connect_timeout", str(_DEFAULT_CONNECT_TIMEOUT_S))
    if not timeout_text.isdigit():
        raise Unsupported("a connect_timeout that is not a number")
    timeout = int(timeout_text)
    return Target(
        host=host,
        port=int(port_text),
        user=user,
        # libpq's default database is the user's name; an empty name is no name.
        dbname=params.get("dbname", _decode(path) if slash else "") or user,
        password=password_value,
        sslmode=sslmode,
        application_name=params.get("application_name", "sync-schema"),
        # As libpq: zero waits forever (bounded here by the silence limit), under 2 s is 2 s.
        connect_timeout=max(timeout, 2) if timeout else 0,
    )


def _decode(text: str) -> str:
    """libpq's percent-decoding: a malformed escape or a NUL is refused, `+` stays `+`."""
    if re.search(r"%(?![0-9A-Fa-f]{2})|%00", text):
        raise Unsupported("a malformed percent escape")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise Unsupported("percent escapes that are not UTF-8") from None


def _host_port(hostport: str) -> tuple[str, str]:
    """(host, port) of the URL's authority, the host percent-decoded, the port '5432' if absent."""
    if hostport.startswith("["):
        host, bracket, rest = hostport[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise Unsupported("a malformed IPv6 address")
        return host, rest[1:] or "5432"
    host, _, port = hostport.partition(":")
    return _decode(host), port or "5432"


def read_catalog(
    dsn: str,
    schemas: Sequence[str],
    *,
    statement_timeout_ms: int,
    env: Mapping[str, str] | None = None,
) -> str:
    """The catalog document (catalog_statement's json text) of the database at `dsn`."""
    check_statement_timeout(statement_timeout_ms)
    check_environment(os.environ if env is None else env)
    target = parse_url(dsn)
    sql = catalog_statement(schemas, statement_timeout_ms=statement_timeout_ms)
    silence = silence_limit(statement_timeout_ms)
    sock = _connect(target)
    try:
        sock, stream = _start(sock, target)
        sock.settimeout(silence)
        begin = (
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
            f"SET LOCAL statement_timeout = {int(statement_timeout_ms)}; "
            f"{column_count_statement(schemas)}"
        )
        try:
            # The read is sent only once the server is inside that transaction: a pooler that
            # refuses transactions would otherwise run it bare, with no timeout.
            sock.sendall(_message(b"Q", _cstr(begin)))
            columns = int(_one_value(stream, statement_timeout_ms))
            if columns > MAX_COLUMNS:
                raise Unsupported("a catalog big enough that psycopg reads it faster")
            sock.sendall(_message(b"Q", _cstr(sql)))
            document = _one_value(stream, statement_timeout_ms)
        except TimeoutError:
            raise silence_error(silence, statement_timeout_ms) from None
        # The document is read; if the goodbye is lost, the server ends the transaction itself.
        with contextlib.suppress(OSError):
            sock.sendall(_message(b"X", b""))
        return document
    except OSError as exc:
        raise Unsupported(f"connection failed: {type(exc).__name__}") from None
    finally:
        sock.close()


def _connect(target: Target) -> socket.socket:
    """A connected socket (TLS not yet negotiated); Unsupported if no address answers."""
    timeout = target.connect_timeout or None
    if target.is_socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(f"{target.host.rstrip('/')}/.s.PGSQL.{target.port}")
        except OSError:
            sock.close()
            raise Unsupported("the socket did not accept") from None
        return sock
    try:
        addresses = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except OSError:
        raise Unsupported("the host name did not resolve") from None
    for family, kind, proto, _name, address in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
        except OSError:
            sock.close()
            continue
        _keepalive(sock)
        return sock
    raise Unsupported("no address of the host accepted")


def _keepalive(sock: socket.socket) -> None:
    """The keepalives and unacknowledged-data limit introspect.py gives libpq."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (
        ("TCP_KEEPIDLE", 10),
        ("TCP_KEEPINTVL", 5),
        ("TCP_KEEPCNT", 3),
        ("TCP_USER_TIMEOUT", 30_000),
    ):
        option = getattr(socket, name, None)
        if option is not None:
            sock.setsockopt(socket.IPPROTO_TCP, option, value)


def _start(sock: socket.socket, target: Target) -> tuple[socket.socket, BinaryIO]:
    """TLS as the sslmode says, the startup message and the login: the socket and its stream."""
    if not target.is_socket and target.sslmode in ("prefer", "require"):
        sock.sendall(struct.pack("!ii", 8, _SSL_REQUEST))
        answer = sock.recv(1)
        if answer == b"S":
            sock = _tls(sock, target)
        elif answer != b"N" or target.sslmode == "require":
            raise Unsupported("the server declined TLS, or answered something else")
    parameters = {
        "user": target.user,
        "database": target.dbname,
        "application_name": target.application_name,
        "client_encoding": "UTF8",
    }
    body = struct.pack("!i", _PROTOCOL)
    body += b"".join(_cstr(k) + _cstr(v) for k, v in parameters.items()) + b"\0"
    sock.sendall(struct.pack("!i", len(body) + 4) + body)
    stream = sock.makefile("rb")
    _login(sock, stream, target)
    return sock, stream


def _tls(sock: socket.socket, target: Target) -> socket.socket:
    """The socket wrapped in TLS as libpq's prefer and require do it: encrypted, not verified."""
    import ssl  # noqa: PLC0415 - only a TLS connection pays for it

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # libpq's ssl_min_protocol_version
    try:
        # libpq sends the host name (SNI) unless it is an IP address.
        socket.inet_pton(socket.AF_INET6 if ":" in target.host else socket.AF_INET, target.host)
        server_name = None
    except OSError:
        server_name = target.host
    try:
        return context.wrap_socket(sock, server_hostname=server_name)
    except (ssl.SSLError, OSError):
        raise Unsupported("the TLS handshake failed") from None


def _login(sock: socket.socket, stream: BinaryIO, target: Target) -> None:
    """Answer the server's authentication requests until it is ready for a query."""
    scram: _Scram | None = None
    while True:
        kind, body = _read_message(stream)
        if kind == b"E":
            raise Unsupported("the server refused the connection or the login")
        if kind == b"Z":
            return
        if kind in (b"S", b"K", b"N"):  # parameter status, cancel key, notice
            continue
        if kind != b"R":
            raise Unsupported(f"unexpected message {kind!r} during the login")
        (code,) = struct.unpack("!i", body[:4])
        data = body[4:]
        if code == 0:  # AuthenticationOk
            continue
        password = _password(target)
        if code == 3:  # cleartext
            sock.sendall(_message(b"p", _cstr(password)))
        elif code == 5:  # md5
            inner = hashlib.md5((password + target.user).encode(), usedforsecurity=False)
            outer = hashlib.md5(inner.hexdigest().encode() + data[:4], usedforsecurity=False)
            sock.sendall(_message(b"p", _cstr("md5" + outer.hexdigest())))
        elif code == 10:  # SASL: the mechanisms offered
            if b"SCRAM-SHA-256" not in data.split(b"\0"):
                raise Unsupported("no SASL mechanism this client speaks")
            scram = _Scram(password)
            first = scram.client_first()
            sock.sendall(
                _message(b"p", _cstr("SCRAM-SHA-256") + struct.pack("!i", len(first)) + first)
            )
        elif code == 11 and scram is not None:  # SASL continue
            sock.sendall(_message(b"p", scram.client_final(data)))
        elif code == 12 and scram is not None:  # SASL final
            scram.verify_server(data)
        else:
            raise Unsupported(f"authentication method {code}")


def _password(target: Target) -> str:
    """The URL's password; Unsupported where libpq would look one up or SASLprep it."""
    if target.password is None:
        raise Unsupported("a password libpq would read from ~/.pgpass")
    if not all(" " <= ch <= "~" for ch in target.password):
        raise Unsupported("a password that SASLprep might change")
    return target.password


class _Scram:
    """SCRAM-SHA-256 without channel binding (RFC 5802, RFC 7677), as libpq does it."""

    def __init__(self, password: str) -> None:
        self._password = password.encode()
        self._nonce = base64.b64encode(secrets.token_bytes(18)).decode()
        self._first_bare = f"n=,r={self._nonce}"
        self._auth_message = b""
        self._salted = b""

    def client_first(self) -> bytes:
        # "n": this client does not do channel binding; the user is the startup message's.
        return f"n,,{self._first_bare}".encode()

    def client_final(self, server_first: bytes) -> bytes:
        fields: dict[str, str] = {}
        for item in server_first.decode().split(","):
            key, _, value = item.partition("=")
            fields[key] = value
        if not {"r", "s", "i"} <= fields.keys() or not fields["i"].isdigit():
            raise Unsupported("a malformed SCRAM challenge")
        nonce, salt, iterations = fields["r"], base64.b64decode(fields["s"]), int(fields["i"])
        if not nonce.startswith(self._nonce) or len(nonce) == len(self._nonce):
            raise Unsupported("the server's SCRAM nonce does not extend ours")
        self._salted = hashlib.pbkdf2_hmac("sha256", self._password, salt, iterations)
        without_proof = f"c=biws,r={nonce}"
        self._auth_message = ",".join(
            [self._first_bare, server_first.decode(), without_proof]
        ).encode()
        client_key = hmac.digest(self._salted, b"Client Key", "sha256")
        signature = hmac.digest(hashlib.sha256(client_key).digest(), self._auth_message, "sha256")
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def verify_server(self, server_final: bytes) -> None:
        server_key = hmac.digest(self._salted, b"Server Key", "sha256")
        expected = hmac.digest(server_key, self._auth_message, "sha256")
        given = server_final.decode().partition("v=")[2].split(",")[0]
        if not hmac.compare_digest(base64.b64encode(expected).decode(), given):
            raise Unsupported("the server's SCRAM signature is wrong")


def _one_value(stream: BinaryIO, statement_timeout_ms: int) -> str:
    """The one value a query returns, read up to ReadyForQuery, still inside the transaction.

    A statement timeout is reported; any other failure, another number of values, or a
    server that is not inside a transaction block is left to psycopg, which reads again and
    reports it in its own words.
    """
    error: dict[str, str] | None = None
    values: list[str] = []
    while True:
        kind, body = _read_message(stream)
        if kind == b"E":
            error = _error_fields(body)
        elif kind == b"D":
            values.append(_single_value(body))
        elif kind == b"Z":
            break
    if error is not None and error.get("C") == _SQLSTATE_QUERY_CANCELED:
        raise statement_timeout_error(statement_timeout_ms)
    if error is not None or body != b"T":  # T: inside a transaction block
        raise Unsupported("the server refused the statement or the read-only transaction")
    if len(values) != 1:
        raise Unsupported("not exactly one value")
    return values[0]


def _single_value(body: bytes) -> str:
    """The text of a DataRow's only column."""
    (count,) = struct.unpack("!h", body[:2])
    (length,) = struct.unpack("!i", body[2:6])
    if count != 1 or length < 0:
        raise Unsupported("an unexpected row")
    return body[6 : 6 + length].decode("utf-8")


def _error_fields(body: bytes) -> dict[str, str]:
    """An ErrorResponse's fields by their one-letter codes."""
    return {
        part[:1].decode("ascii", "replace"): part[1:].decode("utf-8", "replace")
        for part in body.split(b"\0")
        if part
    }


def _read_message(stream: BinaryIO) -> tuple[bytes, bytes]:
    """One backend message: (type byte, body)."""
    header = stream.read(5)
    if len(header) < 5:
        raise Unsupported("the server closed the connection")
    (length,) = struct.unpack("!i", header[1:])
    body = stream.read(length - 4)
    if len(body) < length - 4:
        raise Unsupported("the server closed the connection")
    return header[:1], body


def _message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def _cstr(text: str) -> bytes:
    if "\0" in text:
        raise Unsupported("a NUL character")
    return text.encode("utf-8") + b"\0"
