"""stepwise's emulation of the script-mode model server of the SageMaker scikit-learn
1.2-1 and XGBoost 1.5-1 images (sagemaker-containers 2.8.6: _worker, _transformer,
_encoders; sagemaker_sklearn_container.serving; sagemaker_xgboost_container.serving).

Usage: smc_serving.py sklearn|xgboost

The module SAGEMAKER_PROGRAM (".py" removed) is imported from /opt/ml/code and must
define model_fn(model_dir); the model is loaded before the port listens. input_fn,
predict_fn, output_fn or transform_fn replace the defaults, as in sagemaker-containers:

  * Content-Type defaults to application/json, Accept (absent or */*) to
    SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT or application/json; the body reaches input_fn
    as str for exactly application/json and text/csv, as bytes otherwise.
  * default input_fn (scikit-learn): application/json, text/csv (rows squeezed, so one
    row becomes 1-D: the images' quirk), application/x-npy; JSON and CSV cast to
    float32. XGBoost: text/csv, text/libsvm to a DMatrix. Another type: 415.
  * default output_fn: application/json, text/csv (1-D: one value a line),
    application/x-npy; another Accept: 406.
  * an exception in the user's code: 500, body "<ExceptionType>: <message>", traceback
    on stderr (the images answer Flask's generic 500 page and log the traceback).
  * output_fn / transform_fn may return the body (str or bytes, sent as text/html as
    Flask does), (body, content_type), a dict (JSON), or a Flask-like response object
    (status_code, headers, get_data()); only such an object can set response headers,
    e.g. X-Amzn-SageMaker-Custom-Attributes. Request custom attributes are not passed
    to the handlers (sagemaker-containers does not either).
  * GET /execution-parameters calls execution_parameters_fn() if the module defines
    it, else 404.
  * MAX_CONTENT_LENGTH (default 6 MiB, at most 20 MiB) bounds the body: 413 beyond.
  * SAGEMAKER_MODEL_SERVER_WORKERS worker processes (default: the CPUs).
"""

import csv
import importlib
import importlib.util
import io
import json
import os
import sys
import textwrap
import traceback

import base_serving as bs

JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"
ANY = "*/*"
UTF8_TYPES = (JSON, CSV)

DEFAULT_MAX_CONTENT_LENGTH = 6 * 1024 ** 2
MAX_CONTENT_LENGTH_LIMIT = 20 * 1024 ** 2

# werkzeug adds a charset to these mimetypes (and every text/*).
_CHARSET_MIMETYPES = {
    "application/ecmascript", "application/javascript", "application/sql", "application/xml",
    "application/xml-dtd", "application/xml-external-parsed-entity",
}

np = None  # numpy, imported in the worker


class UnsupportedFormatError(Exception):
    """sagemaker_containers._errors.UnsupportedFormatError."""

    def __init__(self, content_type):
        self.message = textwrap.dedent(
            """Content type %s is not supported by this framework.

            Please implement input_fn to to deserialize the request data or an output_fn to
            serialize the response. For more information, see the SageMaker Python SDK README."""
            % content_type
        )
        Exception.__init__(self, self.message)


class ClientError(Exception):
    """sagemaker_containers._errors.ClientError."""


# --- sagemaker_containers._encoders ---------------------------------------------------

def array_to_npy(array_like):
    buffer = io.BytesIO()
    np.save(buffer, array_like)
    return buffer.getvalue()


def npy_to_numpy(npy_array):
    return np.load(io.BytesIO(npy_array), allow_pickle=True)


def array_to_json(array_like):
    def default(_array_like):
        if hasattr(_array_like, "tolist"):
            return _array_like.tolist()
        return json.JSONEncoder().default(_array_like)

    return json.dumps(array_like, default=default)


def json_to_numpy(string_like, dtype=None):
    data = json.loads(string_like)
    return np.array(data, dtype=dtype)


def csv_to_numpy(string_like, dtype=None):
    try:
        stream = io.StringIO(string_like)
        reader = csv.reader(stream, delimiter=",", quotechar='"', doublequote=True, strict=True)
        array = np.array([row for row in reader]).squeeze()
        array = array.astype(dtype)
    except ValueError as e:
        if dtype is not None:
            raise ClientError("Error while writing numpy array: {}. dtype is: {}".format(e, dtype))
    except Exception as e:
        raise ClientError("Error while decoding csv: {}".format(e))
    return array  # unbound after a ValueError without dtype, as in sagemaker-containers


def array_to_csv(array_like):
    array = np.array(array_like)
    if len(array.shape) == 1:
        array = np.reshape(array, (array.shape[0], 1))
    try:
        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator="\n", delimiter=",", quotechar='"', doublequote=True, strict=True)
        writer.writerows(array)
        return stream.getvalue()
    except csv.Error as e:
        raise ClientError("Error while encoding csv: {}".format(e))


_ENCODERS = {NPY: array_to_npy, CSV: array_to_csv, JSON: array_to_json}
_DECODERS = {NPY: npy_to_numpy, CSV: csv_to_numpy, JSON: json_to_numpy}


def decode(obj, content_type):
    try:
        decoder = _DECODERS[content_type]
    except KeyError:
        raise UnsupportedFormatError(content_type)
    return decoder(obj)


def encode(array_like, content_type):
    try:
        encoder = _ENCODERS[content_type]
    except KeyError:
        raise UnsupportedFormatError(content_type)
    return encoder(array_like)


# --- the images' default handlers ------------------------------------------------------

def default_model_fn(model_dir):
    raise NotImplementedError(textwrap.dedent(
        """
    Please provide a model_fn implementation.
    See documentation for model_fn at https://github.com/aws/sagemaker-python-sdk
    """))


def sklearn_input_fn(input_data, content_type):
    np_array = decode(input_data, content_type)
    return np_array.astype(np.float32) if content_type in UTF8_TYPES else np_array


def sklearn_predict_fn(input_data, model):
    return model.predict(input_data)


def default_output_fn(prediction, accept):
    return Response(encode(prediction, accept), mimetype=accept)


def _parse_header(value):
    main, _, _ = value.partition(";")
    return main.strip()


def _clean_csv_string(csv_string, delimiter):
    return ["nan" if x == "" else x for x in csv_string.split(delimiter)]


def xgboost_csv_to_dmatrix(data, dtype=None):
    import xgboost as xgb

    csv_string = data.decode() if isinstance(data, bytes) else data
    sniff_delimiter = csv.Sniffer().sniff(csv_string.split("\n")[0][:512]).delimiter
    delimiter = "," if sniff_delimiter.isalnum() else sniff_delimiter
    rows = [_clean_csv_string(x, delimiter) for x in csv_string.split("\n")]
    return xgb.DMatrix(np.array(rows).astype(dtype))


def xgboost_libsvm_to_dmatrix(data):
    import tempfile

    import xgboost as xgb

    if isinstance(data, str):
        data = data.encode("utf-8")
    with tempfile.NamedTemporaryFile(suffix=".libsvm") as f:
        f.write(data)
        f.flush()
        return xgb.DMatrix(f.name + "?format=libsvm")


def xgboost_input_fn(input_data, content_type):
    media = _parse_header(content_type)
    if media == CSV:
        return xgboost_csv_to_dmatrix(input_data)
    if media in ("text/libsvm", "text/x-libsvm"):
        return xgboost_libsvm_to_dmatrix(input_data)
    raise UnsupportedFormatError(media)


def xgboost_predict_fn(input_data, model):
    return model.predict(input_data, validate_features=False)


class Response(object):
    """The part of sagemaker_containers' worker.Response (a Flask response) handlers use."""

    default_mimetype = JSON

    def __init__(self, response=None, accept=None, status=200, headers=None, mimetype=None, content_type=None):
        if isinstance(response, str):
            response = response.encode("utf-8")
        elif response is None:
            response = b""
        self.response = response
        self.status_code = int(status)
        self.headers = dict(headers or {})
        self.mimetype = mimetype or self.default_mimetype
        self.content_type = content_type or _with_charset(self.mimetype)

    def get_data(self):
        return self.response


def _with_charset(mimetype):
    if "charset=" not in mimetype and (mimetype.startswith("text/") or mimetype in _CHARSET_MIMETYPES):
        return mimetype + "; charset=utf-8"
    return mimetype


# --- turning handler results into HTTP ---------------------------------------------------

def _from_response_object(r):
    data = r.get_data()
    if isinstance(data, str):
        data = data.encode("utf-8")
    headers = getattr(r, "headers", None) or {}
    items = list(headers.items()) if hasattr(headers, "items") else list(headers)
    ct = getattr(r, "content_type", None) or _with_charset(getattr(r, "mimetype", None) or "text/html")
    return bs.Reply(int(r.status_code), bytes(data), ct, [(k, v) for k, v in items if k.lower() != "content-type"])


def _flask_body(body, status=200, headers=None):
    """What Flask 1.1 makes of a view's return value."""
    if hasattr(body, "status_code") and hasattr(body, "get_data"):
        reply = _from_response_object(body)
        if status != 200:
            reply.status = int(status)
        return reply
    if isinstance(body, dict):
        return bs.Reply(status, json.dumps(body, indent=None, separators=(",", ":")).encode() + b"\n", JSON, headers)
    if isinstance(body, str):
        return bs.Reply(status, body.encode("utf-8"), "text/html; charset=utf-8", headers)
    if isinstance(body, (bytes, bytearray)):
        return bs.Reply(status, bytes(body), "text/html; charset=utf-8", headers)
    raise TypeError(
        "The view function did not return a valid response. The return type must be a string, dict, tuple, "
        "Response instance, or WSGI callable, but it was a %s." % type(body).__name__)


def _flask_view_result(rv):
    """Flask's tuple forms: (body, status), (body, headers), (body, status, headers)."""
    if isinstance(rv, tuple):
        if len(rv) == 3:
            return _flask_body(rv[0], rv[1], _header_list(rv[2]))
        if len(rv) == 2:
            if isinstance(rv[1], (dict, list)):
                return _flask_body(rv[0], 200, _header_list(rv[1]))
            return _flask_body(rv[0], rv[1])
        raise TypeError("The view function did not return a valid response tuple.")
    return _flask_body(rv)


def _header_list(h):
    return list(h.items()) if hasattr(h, "items") else list(h)


def _transform_result(result):
    """sagemaker-containers' Transformer.transform: a tuple is (body, content_type)."""
    if isinstance(result, tuple):
        body = result[0]
        mimetype = result[1] if len(result) > 1 else None
        return _from_response_object(Response(body, mimetype=mimetype))
    return _flask_body(result)


def _error_json(error, status):
    body = json.dumps({
        "error": error.__class__.__name__,
        "error-message": str(error),
        "stack-trace": traceback.format_exc(),
    })
    return bs.Reply(status, body.encode("utf-8"), JSON)


def _user_error(e):
    traceback.print_exc()
    return bs.Reply(500, ("%s: %s" % (type(e).__name__, e)).encode("utf-8", "replace"), "text/plain; charset=utf-8")


class App(object):
    def __init__(self, model, input_fn, predict_fn, output_fn, transform_fn, execution_parameters_fn, defaults):
        self.model = model
        self.input_fn = input_fn
        self.predict_fn = predict_fn
        self.output_fn = output_fn
        self.transform_fn = transform_fn
        self.execution_parameters_fn = execution_parameters_fn
        self.defaults = defaults
        self.default_accept = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", JSON)

    def handle(self, method, path, headers, body):
        if path == "/invocations":
            if method != "POST":
                return bs.Reply(405, b"Method Not Allowed\n", "text/plain; charset=utf-8")
            return self.invocations(headers, body)
        if path == "/ping":
            return bs.Reply(200, b"", JSON)
        if path == "/execution-parameters" and self.execution_parameters_fn is not None:
            try:
                return _flask_view_result(self.execution_parameters_fn())
            except Exception as e:
                return _user_error(e)
        return bs.Reply(404, b"Not Found\n", "text/plain; charset=utf-8")

    def invocations(self, headers, body):
        content_type = headers.get("ContentType") or headers.get("Content-Type") or JSON
        accept = headers.get("Accept")
        if not accept or accept == ANY:
            accept = self.default_accept
        content = body.decode("utf-8", "replace") if content_type in UTF8_TYPES else body
        try:
            if self.transform_fn is not None:
                return _transform_result(self.transform_fn(self.model, content, content_type, accept))
            try:
                data = self.input_fn(content, content_type)
            except UnsupportedFormatError as e:
                if self.input_fn not in self.defaults:
                    raise
                return _error_json(e, 415)
            prediction = self.predict_fn(data, self.model)
            try:
                result = self.output_fn(prediction, accept)
            except UnsupportedFormatError as e:
                if self.output_fn not in self.defaults:
                    raise
                return _error_json(e, 406)
            return _transform_result(result)
        except Exception as e:
            return _user_error(e)


def _install_shim():
    """Makes `from sagemaker_containers.beta.framework import encoders, worker, ...`
    work in user scripts, as it does in the images."""
    import types

    if "sagemaker_containers" in sys.modules or importlib.util.find_spec("sagemaker_containers") is not None:
        return  # the real package is installed
    pkg = types.ModuleType("sagemaker_containers")
    pkg.__path__ = []
    beta = types.ModuleType("sagemaker_containers.beta")
    beta.__path__ = []
    fw = types.ModuleType("sagemaker_containers.beta.framework")
    fw.__path__ = []
    content_types = types.ModuleType("sagemaker_containers.beta.framework.content_types")
    content_types.JSON, content_types.CSV, content_types.NPY = JSON, CSV, NPY
    content_types.OCTET_STREAM, content_types.ANY, content_types.UTF8_TYPES = "application/octet-stream", ANY, list(UTF8_TYPES)
    encoders = types.ModuleType("sagemaker_containers.beta.framework.encoders")
    for name in ("array_to_npy", "npy_to_numpy", "array_to_json", "json_to_numpy", "csv_to_numpy",
                 "array_to_csv", "decode", "encode"):
        setattr(encoders, name, globals()[name])
    worker = types.ModuleType("sagemaker_containers.beta.framework.worker")
    worker.Response = Response
    errors = types.ModuleType("sagemaker_containers.beta.framework.errors")
    errors.ClientError, errors.UnsupportedFormatError = ClientError, UnsupportedFormatError
    for sub in (content_types, encoders, worker, errors):
        short = sub.__name__.rsplit(".", 1)[1]
        setattr(fw, short, sub)
        sys.modules[sub.__name__] = sub
        sys.modules["sagemaker_containers._" + short] = sub
        setattr(pkg, "_" + short, sub)
    pkg.beta, beta.framework = beta, fw
    for m in (pkg, beta, fw):
        sys.modules[m.__name__] = m


def make_app_factory(framework):
    base = bs.base_dir()
    code_dir = os.path.join(base, "code")
    model_dir = os.path.join(base, "model")
    program = os.environ.get("SAGEMAKER_PROGRAM", "")
    module_name = program.replace(".py", "")

    def make_app():
        global np
        import numpy

        np = numpy
        if not module_name:
            raise bs.StartupError("SAGEMAKER_PROGRAM is not set: the image serves the module it names")
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)
        # Code inside model data staged after the directory was prepared (an uncompressed
        # model prefix) was not copied to /opt/ml/code: import it from where it is.
        submit = os.environ.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
        if submit.startswith("/") and os.path.isdir(submit) and submit not in sys.path:
            sys.path.insert(1, submit)
        _install_shim()
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name != module_name:
                raise
            hint = ""
            if os.path.exists(os.path.join(model_dir, "code", program)):
                hint = (" (model.tar.gz has code/%s: set SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code, "
                        "as the SageMaker SDK does when it repacks the model)" % program)
            raise bs.StartupError("cannot import the inference module %r: no %s in /opt/ml/code%s"
                                  % (module_name, program, hint))
        model_fn = getattr(module, "model_fn", None)
        input_fn = getattr(module, "input_fn", None)
        predict_fn = getattr(module, "predict_fn", None)
        output_fn = getattr(module, "output_fn", None)
        transform_fn = getattr(module, "transform_fn", None)
        if transform_fn and (input_fn or predict_fn or output_fn):
            raise bs.StartupError(
                "Cannot use transform_fn implementation with input_fn, predict_fn, and/or output_fn")
        if model_fn is None:
            try:
                default_model_fn(model_dir)
            except NotImplementedError as e:
                raise bs.StartupError("module %s (%s) defines no model_fn: %s"
                                      % (module_name, program, " ".join(str(e).split())))
        if framework == "xgboost":
            defaults = (xgboost_input_fn, xgboost_predict_fn, default_output_fn)
        else:
            defaults = (sklearn_input_fn, sklearn_predict_fn, default_output_fn)
        model = model_fn(model_dir)
        return App(
            model,
            input_fn or defaults[0],
            predict_fn or defaults[1],
            output_fn or defaults[2],
            transform_fn,
            getattr(module, "execution_parameters_fn", None),
            defaults,
        )

    return make_app


def max_content_length():
    try:
        n = int(os.environ.get("MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH))
    except ValueError:
        n = DEFAULT_MAX_CONTENT_LENGTH
    return min(n, MAX_CONTENT_LENGTH_LIMIT)


def main():
    framework = sys.argv[1] if len(sys.argv) > 1 else "sklearn"
    image = {"sklearn": "scikit-learn", "xgboost": "XGBoost"}.get(framework, framework)
    workers = bs.workers_from_env("SAGEMAKER_MODEL_SERVER_WORKERS")
    bs.log("%s model server (sagemaker-containers script mode): module %s from %s"
           % (image, os.environ.get("SAGEMAKER_PROGRAM", "").replace(".py", ""), os.path.join(bs.base_dir(), "code")))
    bs.run(make_app_factory(framework), max_content_length(), workers)


if __name__ == "__main__":
    main()
