"""The HTTP side of stepwise's SageMaker model servers (stdlib only).

SageMaker talks to a serving container over HTTP/1.1: GET /ping, POST /invocations and
GET /execution-parameters on port SAGEMAKER_BIND_TO_PORT. This module is that server
for the emulated images: a ThreadingHTTPServer with keep-alive, Content-Length and
chunked request bodies, one write per response (TCP_NODELAY), a MAX_CONTENT_LENGTH
413, and gunicorn-like worker processes that each load the model before the port
accepts connections. An app is an object with handle(method, path, headers, body)
returning a Reply; make_app() builds it in each worker (that is where the model loads).

Log lines (stdout): one per request except successful pings,
    <client> "<METHOD> <path>" <status> <bytes> <ms>ms
and "stepwise serving: ..." lines at startup. A failure to start prints the traceback
and, last, "stepwise serving: ERROR: <reason>" on stderr, and exits 1.
"""

import http.server
import os
import signal
import socket
import sys
import time
import traceback

_REASONS = {code: msg for code, (msg, _) in http.server.BaseHTTPRequestHandler.responses.items()}

_MAX_LINE = 65536
_MAX_HEADERS = 100


class _Headers(object):
    """Request headers: case-insensitive get, the first value of a repeated name."""

    __slots__ = ("_d",)

    def __init__(self):
        self._d = {}

    def add(self, name, value):
        self._d.setdefault(name, value)

    def get(self, name, default=None):
        return self._d.get(name.lower(), default)


# Bodies beyond the limit are read and thrown away up to this size, so the connection
# stays usable and the client sees the 413; beyond it the connection is closed.
_DRAIN_LIMIT = 256 << 20


class Reply(object):
    """An HTTP response: status, body (bytes), content type and extra headers."""

    __slots__ = ("status", "body", "content_type", "headers")

    def __init__(self, status=200, body=b"", content_type=None, headers=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers


class StartupError(Exception):
    """The server cannot start; the message is the reason shown to the user."""


def log(msg):
    sys.stdout.write("stepwise serving: " + msg + "\n")


def fail(msg):
    sys.stdout.flush()
    sys.stderr.write("stepwise serving: ERROR: " + msg.replace("\n", " ").strip() + "\n")
    sys.stderr.flush()


def base_dir():
    return os.environ.get("SAGEMAKER_BASE_DIR", "/opt/ml")


def cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stepwise"
    app = None
    max_body = 6 << 20

    def setup(self):
        http.server.BaseHTTPRequestHandler.setup(self)
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # one line per request is written by _serve

    def handle_one_request(self):
        # A small HTTP/1.x request parser: the standard one (email.feedparser) costs
        # more than the rest of a request's handling.
        try:
            line = self.rfile.readline(_MAX_LINE + 1)
            if not line:
                self.close_connection = True
                return
            parts = line.decode("latin-1").split()
            if len(line) > _MAX_LINE or len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                self._reject(400, "Bad Request: malformed request line")
                return
            self.command, self.path, self.request_version = parts
            headers = _Headers()
            for _ in range(_MAX_HEADERS + 1):
                h = self.rfile.readline(_MAX_LINE + 1)
                if h in (b"\r\n", b"\n", b""):
                    break
                name, sep, value = h.decode("latin-1").partition(":")
                if not sep or len(h) > _MAX_LINE:
                    self._reject(400, "Bad Request: malformed header")
                    return
                headers.add(name.strip().lower(), value.strip())
            else:
                self._reject(431, "Request Header Fields Too Large")
                return
            self.headers = headers
            conn = headers.get("Connection", "").lower()
            if self.request_version == "HTTP/1.0":
                self.close_connection = conn != "keep-alive"
            else:
                self.close_connection = conn == "close"
                if headers.get("Expect", "").lower() == "100-continue":
                    self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self._serve()
        except (socket.timeout, ConnectionError):
            self.close_connection = True

    def _reject(self, status, message):
        self.close_connection = True
        self._send(Reply(status, (message + "\n").encode(), "text/plain; charset=utf-8"))

    def _read_body(self):
        """Returns (body, too_large); body is None when the request is malformed."""
        te = self.headers.get("Transfer-Encoding")
        if te is not None and te.strip().lower() == "chunked":
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b"", False
        try:
            n = int(length)
            if n < 0:
                raise ValueError(length)
        except ValueError:
            return None, False
        if n > self.max_body:
            if n > _DRAIN_LIMIT:
                self.close_connection = True
            else:
                self._drain(n)
            return b"", True
        body = self.rfile.read(n)
        if len(body) != n:
            self.close_connection = True
            return None, False
        return body, False

    def _drain(self, n):
        while n > 0:
            chunk = self.rfile.read(min(n, 1 << 20))
            if not chunk:
                self.close_connection = True
                return
            n -= len(chunk)

    def _read_chunked(self):
        parts, total, too_large = [], 0, False
        while True:
            line = self.rfile.readline(1 << 16)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
                if size < 0:
                    raise ValueError(line)
            except ValueError:
                self.close_connection = True
                return None, False
            if size == 0:
                break
            total += size
            if total > _DRAIN_LIMIT:
                self.close_connection = True
                return b"", True
            if total > self.max_body:
                too_large = True
                parts = []
                self._drain(size)
            else:
                data = self.rfile.read(size)
                if len(data) != size:
                    self.close_connection = True
                    return None, False
                parts.append(data)
            self.rfile.readline(1 << 16)  # the CRLF after the chunk
        while True:  # trailers, up to the blank line
            line = self.rfile.readline(1 << 16)
            if line in (b"\r\n", b"\n", b""):
                break
        return (b"" if too_large else b"".join(parts)), too_large

    def _serve(self):
        start = time.perf_counter()
        path = self.path.split("?", 1)[0]
        body, too_large = self._read_body()
        if body is None:
            self.close_connection = True
            reply = Reply(400, b"Bad Request: malformed request body\n", "text/plain; charset=utf-8")
        elif too_large:
            reply = Reply(
                413,
                ("413 Request Entity Too Large: the request body exceeds MAX_CONTENT_LENGTH (%d bytes)\n"
                 % self.max_body).encode(),
                "text/plain; charset=utf-8",
            )
        else:
            try:
                reply = self.app.handle(self.command, path, self.headers, body)
            except Exception as e:  # a bug in the app: keep serving
                traceback.print_exc()
                reply = Reply(500, ("%s: %s" % (type(e).__name__, e)).encode("utf-8", "replace"),
                              "text/plain; charset=utf-8")
        self._send(reply)
        if not (path == "/ping" and reply.status == 200):
            sys.stdout.write('%s "%s %s" %d %d %.2fms\n' % (
                self.client_address[0], self.command, path, reply.status, len(reply.body),
                (time.perf_counter() - start) * 1000))

    def _send(self, reply):
        body = reply.body
        if isinstance(body, str):
            body = body.encode("utf-8")
            reply.body = body
        head = ["HTTP/1.1 %d %s\r\n" % (reply.status, _REASONS.get(reply.status, ""))]
        if reply.content_type:
            head.append("Content-Type: %s\r\n" % reply.content_type)
        head.append("Content-Length: %d\r\n" % len(body))
        if reply.headers:
            for k, v in reply.headers:
                if k.lower() not in ("content-length", "content-type", "connection", "transfer-encoding"):
                    head.append("%s: %s\r\n" % (k, str(v).replace("\r", " ").replace("\n", " ")))
        if self.close_connection:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        self.wfile.write("".join(head).encode("latin-1", "replace") + body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that goes away mid-request is not the server's problem.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout)):
            return
        http.server.ThreadingHTTPServer.handle_error(self, request, client_address)


def _serve_forever(sock, app, max_body):
    handler = type("Handler", (_Handler,), {"app": app, "max_body": max_body})
    server = _Server(sock.getsockname(), handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.serve_forever(poll_interval=3600)


def _bind(port):
    host = "127.0.0.1"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        raise StartupError("cannot listen on %s:%d: %s" % (host, port, e.strerror or e))
    return sock


def _exit_on_sigterm(signo, frame):
    sys.exit(0)


def run(make_app, max_body, workers=1):
    """Starts the server on 127.0.0.1:SAGEMAKER_BIND_TO_PORT and never returns.

    With one worker the process loads the app and serves; with more, each forked worker
    loads its own, and the port listens only once they all have. A worker that fails
    to load ends the server (exit 1); SIGTERM stops it (exit 0).
    """
    try:
        port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
        sock = _bind(port)
        if workers <= 1:
            app = _load(make_app)
            signal.signal(signal.SIGTERM, _exit_on_sigterm)
            sock.listen(128)
            log("listening on 127.0.0.1:%d (1 worker)" % port)
            sys.stdout.flush()
            _serve_forever(sock, app, max_body)
            return
    except StartupError as e:
        fail(str(e))
        sys.exit(1)
    _run_workers(sock, port, make_app, max_body, workers)


def _load(make_app):
    start = time.perf_counter()
    try:
        app = make_app()
    except StartupError:
        raise
    except BaseException as e:  # the user's code (sys.exit included): its traceback, then the reason
        traceback.print_exc()
        raise StartupError("%s: %s" % (type(e).__name__, e))
    log("worker %d ready in %.2fs" % (os.getpid(), time.perf_counter() - start))
    return app


def _run_workers(sock, port, make_app, max_body, workers):
    children = {}
    for _ in range(workers):
        ready_r, ready_w = os.pipe()
        go_r, go_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            os.close(go_w)
            for r, w in children.values():
                os.close(r)
                os.close(w)
            try:
                app = _load(make_app)
            except StartupError as e:
                fail(str(e))
                os._exit(1)
            signal.signal(signal.SIGTERM, _exit_on_sigterm)
            os.write(ready_w, b"R")
            if os.read(go_r, 1) != b"G":
                os._exit(0)
            try:
                _serve_forever(sock, app, max_body)
            finally:
                sys.stdout.flush()
                os._exit(0)
        os.close(ready_w)
        os.close(go_r)
        children[pid] = (ready_r, go_w)

    terminating = []

    def stop_all():
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass

    def reap_all(code):
        stop_all()
        for pid in list(children):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        sys.exit(code)

    def on_sigterm(signo, frame):
        terminating.append(signo)
        stop_all()

    signal.signal(signal.SIGTERM, on_sigterm)
    for pid, (ready_r, _) in list(children.items()):
        if os.read(ready_r, 1) == b"R":
            continue
        if terminating:
            reap_all(0)
        _, status = os.waitpid(pid, 0)
        del children[pid]
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1):  # 1: it said why
            fail("worker %d ended (%s) before it loaded the model" % (pid, _describe(status)))
        reap_all(1)
    sock.listen(128)
    for _, go_w in children.values():
        os.write(go_w, b"G")
    log("listening on 127.0.0.1:%d (%d workers)" % (port, workers))
    sys.stdout.flush()
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            sys.exit(0)
        children.pop(pid, None)
        if terminating:
            continue
        fail("worker %d ended (%s); stopping the server" % (pid, _describe(status)))
        reap_all(1)


def _describe(status):
    if os.WIFSIGNALED(status):
        return "killed by signal %d" % os.WTERMSIG(status)
    return "exit code %d" % os.WEXITSTATUS(status)


def workers_from_env(name):
    """The worker count: the variable if set to a positive integer, else the CPUs."""
    try:
        n = int(os.environ.get(name, ""))
        if n > 0:
            return n
    except ValueError:
        pass
    return cpu_count()
