# stepwise's runtime client for python3.x functions: it speaks the Lambda Runtime API
# (AWS_LAMBDA_RUNTIME_API), loads the handler "module.function" from LAMBDA_TASK_ROOT and
# calls it with (event, context) for every invocation, reporting results and errors in the
# shapes Lambda's own Python runtime gives them.
import http.client
import importlib
import importlib.abc
import importlib.util
import json
import os
import sys
import time
import traceback

API_PREFIX = "/2018-06-01/runtime"
# A line the server waits for before it closes an invocation's log, so that everything
# the handler printed is in the log (and in LogResult) before END.
FLUSH_MARK = "\x1estepwise-flush "
BOOTSTRAP = os.path.abspath(__file__)


class _RuntimeAPI:
    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.host, self.port = host, int(port)
        self.conn = None

    def call(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port)
            try:
                self.conn.request(method, API_PREFIX + path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                return resp.status, resp.headers, resp.read()
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise


# --- boto3 and botocore reach stepwise ------------------------------------------------
#
# botocore before 1.31.57 ignores AWS_ENDPOINT_URL. When botocore.session is imported,
# Session.create_client is wrapped so that a client created without an endpoint_url gets
# AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL, as newer botocore does by itself.


def _endpoint_for(service):
    if service:
        key = "AWS_ENDPOINT_URL_" + str(service).upper().replace("-", "_").replace(" ", "_")
        if os.environ.get(key):
            return os.environ[key]
    return os.environ.get("AWS_ENDPOINT_URL") or None


def _patch_session(module):
    session = getattr(module, "Session", None)
    if session is None or getattr(session.create_client, "_stepwise", False):
        return
    original = session.create_client

    def create_client(self, *args, **kwargs):
        service = args[0] if args else kwargs.get("service_name")
        if len(args) > 5:
            if args[5] is None:
                url = _endpoint_for(service)
                if url:
                    args = args[:5] + (url,) + args[6:]
        elif kwargs.get("endpoint_url") is None:
            url = _endpoint_for(service)
            if url:
                kwargs["endpoint_url"] = url
        return original(self, *args, **kwargs)

    create_client._stepwise = True
    create_client.__doc__ = original.__doc__
    session.create_client = create_client


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        _patch_session(module)


class _EndpointHook(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "botocore.session":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _PatchingLoader(spec.loader)
                return spec
        return None


def _install_endpoint_hook():
    if not os.environ.get("AWS_ENDPOINT_URL"):
        return
    mod = sys.modules.get("botocore.session")
    if mod is not None:
        _patch_session(mod)
        return
    sys.meta_path.insert(0, _EndpointHook())


# --- the context object ----------------------------------------------------------------


class LambdaContext:
    def __init__(self, request_id, deadline_ms, invoked_arn, client_context, identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = client_context
        self.identity = identity
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(int(self._deadline_ms - time.time() * 1000), 0)

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id={0},log_group_name={1},log_stream_name={2},"
            "function_name={3},memory_limit_in_mb={4},function_version={5},"
            "invoked_function_arn={6},client_context={7},identity={8}])"
        ).format(
            self.aws_request_id, self.log_group_name, self.log_stream_name, self.function_name,
            self.memory_limit_in_mb, self.function_version, self.invoked_function_arn,
            self.client_context, self.identity,
        )


class _Holder:
    def __init__(self, data):
        self.__dict__.update(data or {})


# --- errors as Lambda reports them -------------------------------------------------------


def _user_frames(tb):
    return [f for f in traceback.extract_tb(tb) if os.path.abspath(f.filename) != BOOTSTRAP]


def _error(etype, message, frames=(), request_id=None):
    err = {"errorMessage": message, "errorType": etype}
    if request_id is not None:
        err["requestId"] = request_id
    err["stackTrace"] = traceback.format_list(list(frames))
    return err


def _log_error(err, exc=None):
    lines = ["[ERROR] %s: %s" % (err["errorType"], err["errorMessage"])]
    if exc is not None:
        lines.append("Traceback (most recent call last):")
        lines.extend(s.rstrip("\n") for s in err["stackTrace"])
    print("\n".join(lines), file=sys.stdout, flush=True)


def _flush(request_id):
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    mark = FLUSH_MARK + request_id + "\n"
    for fd in (1, 2):
        try:
            os.write(fd, mark.encode())
        except OSError:
            pass


# --- loading the handler -----------------------------------------------------------------


class _InitError(Exception):
    def __init__(self, err, cause=None):
        super().__init__(err["errorMessage"])
        self.err = err
        self.cause = cause


def _load_handler(spec):
    try:
        module_name, function_name = spec.rsplit(".", 1)
    except ValueError as e:
        raise _InitError(_error("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (spec, e)))
    module_name = module_name.replace("/", ".")
    if module_name.startswith("__init__") or module_name.startswith("."):
        raise _InitError(_error("Runtime.BadHandler", "Bad handler '%s': cannot import a relative module" % spec))
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise _InitError(_error("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e)))
    except SyntaxError as e:
        raise _InitError(_error("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, e),
                                _user_frames(e.__traceback__)))
    except Exception as e:
        raise _InitError(_error(type(e).__name__, str(e), _user_frames(e.__traceback__)), e)
    fn = getattr(module, function_name, None)
    if fn is None:
        raise _InitError(_error("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function_name, module_name)))
    return fn


def main():
    api = _RuntimeAPI(os.environ["AWS_LAMBDA_RUNTIME_API"])
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(line_buffering=True)
        except AttributeError:
            pass
    task_root = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    here = os.path.dirname(BOOTSTRAP)
    if here in sys.path:
        sys.path.remove(here)
    _install_endpoint_hook()
    try:
        os.chdir(task_root)
    except OSError:
        pass
    try:
        handler = _load_handler(os.environ.get("_HANDLER", ""))
    except _InitError as e:
        _log_error(e.err, e.cause)
        body = json.dumps(e.err).encode()
        api.call("POST", "/init/error", body, {"Lambda-Runtime-Function-Error-Type": e.err["errorType"],
                                                "Content-Type": "application/json"})
        sys.exit(1)

    while True:
        status, headers, body = api.call("GET", "/invocation/next")
        if status != 200:
            sys.exit("runtime API /next answered %d" % status)
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        deadline = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        trace = headers.get("Lambda-Runtime-Trace-Id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        client_context = None
        cc = headers.get("Lambda-Runtime-Client-Context")
        if cc:
            try:
                data = json.loads(cc)
                client_context = _Holder(data)
                client_context.client = _Holder(data.get("client"))
            except (ValueError, AttributeError):
                client_context = None
        identity = None
        ci = headers.get("Lambda-Runtime-Cognito-Identity")
        if ci:
            try:
                identity = _Holder(json.loads(ci))
            except ValueError:
                identity = None
        context = LambdaContext(request_id, deadline, headers.get("Lambda-Runtime-Invoked-Function-Arn"),
                                client_context, identity)
        try:
            event = json.loads(body) if body else {}
        except ValueError as e:
            err = _error("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e, request_id=request_id)
            _log_error(err)
            _flush(request_id)
            api.call("POST", "/invocation/%s/error" % request_id, json.dumps(err).encode(),
                     {"Lambda-Runtime-Function-Error-Type": err["errorType"]})
            continue
        try:
            result = handler(event, context)
        except Exception as e:
            err = _error(type(e).__name__, str(e), _user_frames(e.__traceback__), request_id)
            _log_error(err, e)
            _flush(request_id)
            api.call("POST", "/invocation/%s/error" % request_id, json.dumps(err).encode(),
                     {"Lambda-Runtime-Function-Error-Type": err["errorType"]})
            continue
        try:
            out = json.dumps(result).encode()
        except (TypeError, ValueError) as e:
            err = _error("Runtime.MarshalError", "Unable to marshal response: %s" % e, request_id=request_id)
            _log_error(err)
            _flush(request_id)
            api.call("POST", "/invocation/%s/error" % request_id, json.dumps(err).encode(),
                     {"Lambda-Runtime-Function-Error-Type": err["errorType"]})
            continue
        _flush(request_id)
        api.call("POST", "/invocation/%s/response" % request_id, out, {"Content-Type": "application/json"})


if __name__ == "__main__":
    main()
