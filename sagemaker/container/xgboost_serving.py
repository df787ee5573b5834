"""stepwise's emulation of the SageMaker XGBoost 1.5-1 algorithm-mode model server
(sagemaker_xgboost_container.algorithm_mode.serve and serve_utils), with Debian's
xgboost.

Every file in /opt/ml/model (not dot files) is a model: pickled, else a Booster saved
with save_model; several average (or vote, for multi:softmax and binary:hinge) unless
SAGEMAKER_INFERENCE_ENSEMBLE is not "true". The models load before the port listens; a
model that does not load ends the server with the reason.

POST /invocations:
  * empty body: 204;
  * Content-Type text/csv (features only, delimiter sniffed), text/libsvm, or absent
    (libsvm); another type or a body that does not parse: 415;
  * a prediction that fails (a pickled model with another feature count...): 400;
  * Accept application/json, application/jsonlines or text/csv (absent or */*:
    SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT, else text/csv), else 406;
  * SAGEMAKER_BATCH set: one prediction a line whatever the Accept; else text/csv one a
    line, JSON {"predictions": [{"score": p}, ...]}, JSON lines {"score": p} a line;
  * SAGEMAKER_INFERENCE_OUTPUT (e.g. "predicted_label,probabilities") selects the
    classification outputs of serve_utils.
MAX_CONTENT_LENGTH (default 6 MiB) bounds the body: 413 beyond. GET
/execution-parameters: {"MaxConcurrentTransforms": <CPUs>, "BatchStrategy":
"MULTI_RECORD", "MaxPayloadInMB": 6}. One worker process per CPU.
"""

import csv
import json
import os
import pickle
import sys

import base_serving as bs

JSON = "application/json"
JSONLINES = "application/jsonlines"
RECORDIO = "application/x-recordio-protobuf"
CSV_TYPE = "text/csv"
SUPPORTED_ACCEPTS = [JSON, JSONLINES, RECORDIO, CSV_TYPE]

CSV, LIBSVM, PARQUET, RECORDIO_PROTOBUF = "csv", "libsvm", "parquet", "recordio-protobuf"
VALID_CONTENT_TYPES = [
    CSV, LIBSVM, PARQUET, RECORDIO_PROTOBUF, "text/csv", "text/libsvm", "text/x-libsvm",
    "application/x-parquet", "application/x-recordio-protobuf",
]

PKL_FORMAT, XGB_FORMAT = "pkl_format", "xgb_format"

MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", "6291456"))
SAGEMAKER_BATCH = os.environ.get("SAGEMAKER_BATCH")

np = xgb = None  # imported in the worker


class UserError(Exception):
    pass


def _parse_header(value):
    main, _, rest = value.partition(";")
    params = {}
    for p in rest.split(";"):
        k, eq, v = p.partition("=")
        if eq:
            params[k.strip().lower()] = v.strip().strip('"')
    return main.strip(), params


def get_content_type(value):
    """data_utils.get_content_type: the data format of a Content-Type."""
    if value is None:
        return LIBSVM
    content_type, params = _parse_header(value.lower())
    if content_type in (CSV, "text/csv"):
        if "label_size" in params and params["label_size"] != "1":
            raise UserError("{} is not an accepted csv ContentType. "
                            "Optional parameter label_size must be equal to 1".format(value))
        return CSV
    if content_type in (LIBSVM, "text/libsvm", "text/x-libsvm"):
        return LIBSVM
    if content_type in (PARQUET, "application/x-parquet"):
        return PARQUET
    if content_type in (RECORDIO_PROTOBUF, "application/x-recordio-protobuf"):
        return RECORDIO_PROTOBUF
    raise UserError("{} is not an accepted ContentType: {}.".format(value, ", ".join(VALID_CONTENT_TYPES)))


def _clean_csv_string(csv_string, delimiter):
    return ["nan" if x == "" else x for x in csv_string.split(delimiter)]


def csv_to_dmatrix(csv_string, dtype=None):
    sniff_delimiter = csv.Sniffer().sniff(csv_string.split("\n")[0][:512]).delimiter
    delimiter = "," if sniff_delimiter.isalnum() else sniff_delimiter
    rows = [_clean_csv_string(x, delimiter) for x in csv_string.split("\n")]
    return xgb.DMatrix(np.array(rows).astype(dtype))


def _sparse_matrix_from_libsvm(payload):
    from scipy.sparse import csr_matrix

    row, col, data = [], [], []
    for row_idx, line in enumerate(payload.split("\n")):
        for item in line.split(" "):
            if ":" in item:
                parts = item.split(":")
                row.append(row_idx)
                col.append(parts[0])
                data.append(parts[1])
    row = np.array(row)
    col = np.array(col).astype(int)
    data = np.array(data).astype(float)
    if not (len(row) == len(col) and len(col) == len(data)):
        raise RuntimeError("Dimension checking failed when transforming sparse matrix.")
    return csr_matrix((data, (row, col)))


def parse_content_data(payload, content_type_header):
    content_type = get_content_type(content_type_header)
    if content_type == CSV:
        try:
            return csv_to_dmatrix(payload.strip().decode("utf-8"), dtype=float), content_type
        except Exception as e:
            raise RuntimeError("Loading csv data failed with Exception, "
                               "please ensure data is in csv format:\n {}\n {}".format(type(e), e))
    if content_type == LIBSVM:
        try:
            return xgb.DMatrix(_sparse_matrix_from_libsvm(payload.strip().decode("utf-8"))), content_type
        except Exception as e:
            raise RuntimeError("Loading libsvm data failed with Exception, "
                               "please ensure data is in libsvm format:\n {}\n {}".format(type(e), e))
    if content_type == RECORDIO_PROTOBUF:
        raise RuntimeError("Loading recordio-protobuf data failed with Exception, please ensure data is in "
                           "recordio-protobuf format: stepwise's XGBoost server does not read recordio-protobuf "
                           "(the image's mlio library is not available); send text/csv or text/libsvm")
    raise RuntimeError("Content-type {} is not supported.".format(content_type_header))


def _model_paths(model_dir):
    for name in sorted(os.listdir(model_dir)):
        p = os.path.join(model_dir, name)
        if os.path.isfile(p):
            if name.startswith("."):
                sys.stdout.write("Ignoring dotfile '%s' found in model directory - please exclude dotfiles "
                                 "from model archives\n" % p)
            else:
                yield p


def load_boosters(model_dir, ensemble):
    paths = list(_model_paths(model_dir))
    if not paths:
        raise bs.StartupError("no model in %s: the XGBoost algorithm serves the file(s) of model.tar.gz "
                              "(xgboost-model), and there are none" % model_dir)
    paths = paths if ensemble else paths[:1]
    models, formats = [], []
    for p in paths:
        bs.log("loading the model from %s" % p)
        try:
            with open(p, "rb") as f:
                booster = pickle.load(f)
            fmt = PKL_FORMAT
        except Exception as exp_pkl:
            try:
                booster = xgb.Booster()
                booster.load_model(p)
                fmt = XGB_FORMAT
            except Exception as exp_xgb:
                raise bs.StartupError("Model {} cannot be loaded: Pickle load error={} XGB load model error={}"
                                      .format(p, exp_pkl, exp_xgb))
        booster.set_param("nthread", 1)
        models.append(booster)
        formats.append(fmt)
    if ensemble and len(models) > 1:
        return models, formats
    return models[0], formats[0]


class App(object):
    def __init__(self, booster, fmt):
        self.booster = booster
        self.format = fmt
        first = booster[0] if isinstance(booster, list) else booster
        self.config = json.loads(first.save_config())
        self.objective = self.config["learner"]["objective"]["name"]
        bs.log("model objective: %s" % self.objective)
        self.default_accept = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", CSV_TYPE)
        self.selected = None
        if "SAGEMAKER_INFERENCE_OUTPUT" in os.environ:
            self.selected = os.environ["SAGEMAKER_INFERENCE_OUTPUT"].replace(" ", "").lower().split(",")

    def handle(self, method, path, headers, body):
        if path == "/invocations" and method == "POST":
            return self.invocations(headers, body)
        if path == "/ping" and method == "GET":
            return bs.Reply(200, b"", "text/html; charset=utf-8")
        if path == "/execution-parameters" and method == "GET":
            params = {"MaxConcurrentTransforms": bs.cpu_count(), "BatchStrategy": "MULTI_RECORD",
                      "MaxPayloadInMB": int(MAX_CONTENT_LENGTH / (1024 ** 2))}
            return bs.Reply(200, json.dumps(params).encode(), JSON)
        if path in ("/invocations", "/ping", "/execution-parameters"):
            return bs.Reply(405, b"Method Not Allowed\n", "text/plain; charset=utf-8")
        return bs.Reply(404, b"Not Found\n", "text/plain; charset=utf-8")

    def _predict(self, dtest, content_type):
        models = self.booster if isinstance(self.booster, list) else [self.booster]
        fmt = self.format[0] if isinstance(self.format, list) else self.format
        if fmt == PKL_FORMAT:
            x = models[0].num_features()
            y = len(dtest.feature_names) if dtest.feature_names is not None else dtest.num_col()
            if content_type == LIBSVM:
                if y > x + 1:
                    raise ValueError("Feature size of libsvm inference data {} is larger than "
                                     "feature size of trained model {}.".format(y, x))
            elif not (x == y or x == y + 1):
                raise ValueError("Feature size of {} inference data {} is not consistent "
                                 "with feature size of trained model {}.".format(content_type, y, x))
        preds = [m.predict(dtest, ntree_limit=getattr(m, "best_ntree_limit", 0), validate_features=False)
                 for m in models]
        if len(preds) == 1:
            return preds[0]
        if self.objective in ("multi:softmax", "binary:hinge"):
            from scipy import stats

            return stats.mode(preds, keepdims=True).mode[0]
        return np.mean(preds, axis=0)

    def invocations(self, headers, body):
        if len(body) == 0:
            return bs.Reply(204, b"", "text/html; charset=utf-8")
        try:
            dtest, content_type = parse_content_data(body, headers.get("Content-Type"))
        except Exception as e:
            return _error(415, e)
        try:
            preds = self._predict(dtest, content_type)
        except Exception as e:
            return _error(400, "Unable to evaluate payload provided: %s" % e)
        accept, _ = _parse_header(headers.get("Accept", ""))
        if not accept or accept == "*/*":
            accept = self.default_accept
        elif accept.lower() not in SUPPORTED_ACCEPTS:
            return _error(406, "Accept type {} is not supported. Please use supported accept types: {}."
                          .format(accept, SUPPORTED_ACCEPTS))
        else:
            accept = accept.lower()
        if self.selected is not None:
            try:
                return bs.Reply(200, self.encode_selected(preds, accept), accept)
            except Exception as e:
                return _error(500, e)
        preds_list = preds.tolist()
        if SAGEMAKER_BATCH:
            data = "\n".join(map(str, preds_list)) + "\n"
        elif accept == JSON:
            data = json.dumps({"predictions": [{"score": p} for p in preds_list]})
        elif accept == JSONLINES:
            data = "".join(json.dumps({"score": p}) + "\n" for p in preds_list)
        elif accept == CSV_TYPE:
            data = "".join(_csv_row(p) for p in preds_list)
        else:
            return _error(500, "Content type %s is not supported by this framework." % accept)
        return bs.Reply(200, data.encode(), accept)

    # serve_utils' selectable inference outputs.
    def encode_selected(self, preds, accept):
        keys = self.selected
        objective = self.objective
        valid = _VALID_OBJECTIVES.get(objective)
        if valid is None:
            raise ValueError("Objective `{}` unsupported for selectable inference predictions.".format(objective))
        num_class = self.config["learner"]["learner_model_param"].get("num_class", "")
        out = []
        for raw in preds:
            item = {}
            for k in keys:
                item[k] = _select(k, objective, raw, num_class) if k in valid else float("nan")
            out.append(item)
        if accept == JSON:
            return json.dumps({"predictions": out}).encode()
        if accept == JSONLINES:
            return "".join(json.dumps(e) + "\n" for e in out).encode()
        if accept == CSV_TYPE:
            lines = []
            for item in out:
                vals = ['"{}"'.format(item[k]) if isinstance(item[k], list) else str(item[k]) for k in keys]
                lines.append(",".join(vals))
            text = "\n".join(lines)
            return (text + "\n" if SAGEMAKER_BATCH else text).encode()
        raise RuntimeError("Cannot encode selected predictions into accept type '{}'.".format(accept))


def _csv_row(p):
    if isinstance(p, list):
        return ",".join(str(v) for v in p) + "\n"
    return "%r\n" % (p,) if isinstance(p, float) else "%s\n" % (p,)


def _error(status, e):
    return bs.Reply(status, str(e).encode("utf-8", "replace"), "text/html; charset=utf-8")


_REGRESSION = ["predicted_score"]
_BINARY = ["predicted_label", "labels", "probability", "probabilities", "raw_score", "raw_scores"]
_VALID_OBJECTIVES = {
    "reg:squarederror": _REGRESSION, "reg:logistic": _REGRESSION, "reg:gamma": _REGRESSION,
    "reg:tweedie": _REGRESSION, "binary:logistic": _BINARY,
    "binary:logitraw": ["predicted_label", "labels", "raw_score", "raw_scores"],
    "binary:hinge": ["predicted_label", "labels", "raw_score", "raw_scores"],
    "multi:softmax": ["predicted_label", "labels", "raw_score", "raw_scores"],
    "multi:softprob": _BINARY,
}


def _select(key, objective, raw, num_class):
    if key == "predicted_score":
        return raw.item()
    if key == "labels":
        if "binary:" in objective:
            return [0, 1]
        if "multi:" in objective and num_class:
            return list(range(int(num_class)))
        return float("nan")
    if key == "predicted_label":
        if objective in ("binary:hinge", "multi:softmax"):
            return raw.item()
        if objective == "binary:logistic":
            return int(raw > 0.5)
        if objective == "binary:logitraw":
            return int(raw > 0)
        if objective == "multi:softprob":
            return np.argmax(raw).item()
    if key in ("probability", "raw_score") and objective == "multi:softprob":
        return max(raw).item()
    if key == "probability" and objective == "binary:logistic":
        return raw.item()
    if key in ("probabilities", "raw_scores") and objective == "multi:softprob":
        return raw.tolist()
    if key == "probabilities" and objective == "binary:logistic":
        return [1.0 - raw.item(), raw.item()]
    if key == "raw_score":
        return raw.item()
    if key == "raw_scores":
        return [1.0 - raw.item(), raw.item()]
    return float("nan")


def make_app():
    global np, xgb
    import numpy
    import xgboost

    np, xgb = numpy, xgboost
    model_dir = os.environ.get("SM_MODEL_DIR") or os.path.join(bs.base_dir(), "model")
    if model_dir.startswith("/opt/ml/") and bs.base_dir() != "/opt/ml":
        model_dir = os.path.join(bs.base_dir(), model_dir[len("/opt/ml/"):])
    ensemble = os.environ.get("SAGEMAKER_INFERENCE_ENSEMBLE", "true") == "true"
    booster, fmt = load_boosters(model_dir, ensemble)
    return App(booster, fmt)


def main():
    bs.log("XGBoost algorithm-mode model server (sagemaker-xgboost 1.5-1 emulation, xgboost from the host)")
    bs.run(make_app, MAX_CONTENT_LENGTH, bs.cpu_count())


if __name__ == "__main__":
    main()
