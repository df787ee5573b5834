"""stepwise's stand-in for the algorithm mode of the SageMaker XGBoost 1.5-1 image.

It does what that image's `train` program does when the job has no sagemaker_program
hyperparameter: validate the hyperparameters and channels as the image does, read the
train (and validation) channel, train with xgboost printing one evaluation line per
round, and save the booster as <model dir>/xgboost-model. A failure is written to
<output dir>/failure as "framework error: ..." with the traceback, and the exit status
is 1, as the image's toolkit does.

Differences from the image, on purpose: it runs on the host's xgboost (Debian 1.7.4,
not 1.5.2), so saved models load in SageMaker's 1.7-1 image and later; Pipe mode,
parquet and recordio-protobuf input, distributed (multi-host) and Dask GPU training are
refused with a UserError; _kfold trains and saves every fold's model but does not
write the out-of-fold predictions to the output data directory.

Paths come from the SM_* environment, as in the image; the base directory is
SAGEMAKER_BASE_DIR when set (stepwise's unsandboxed fallback), else /opt/ml.
"""

import csv
import json
import logging
import os
import re
import sys
import traceback

BASE_DIR = os.environ.get("SAGEMAKER_BASE_DIR", "/opt/ml")
MODEL_NAME = "xgboost-model"
CHECKPOINT_NAME = "xgboost-checkpoint"

MAXIMIZE_METRICS = [
    "accuracy", "auc", "aucpr", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "map",
    "ndcg", "precision", "r2", "recall", "precision_macro", "precision_micro", "recall_macro",
    "recall_micro",
]
MINIMIZE_METRICS = [
    "aft-nloglik", "cox-nloglik", "error", "gamma-deviance", "gamma-nloglik",
    "interval-regression-accuracy", "logloss", "mae", "mape", "merror", "mlogloss", "mphe",
    "mse", "poisson-nloglik", "rmse", "rmsle", "tweedie-nloglik",
]
# Substrings of xgboost errors that are the customer's fault (UserError, not AlgorithmError).
CUSTOMER_ERRORS = [
    "label must be in [0,1] for logistic regression",
    "label must be in [0, num_class)",
    "Target is multiclass but average='binary'",
    "feature_names mismatch",
    "Check failed: preds.size() == info.labels_.size()",
    "Check failed: !auc_error AUC: the dataset only contains pos or neg samples",
    "Check failed: base_score > 0.0f && base_score < 1.0f base_score must be in (0,1) for logistic loss",
    "Check failed: label_correct PoissonRegression: label must be nonnegative",
    "Check failed: label_correct TweedieRegression: label must be nonnegative",
    "Parameter reg_lambda should be greater equal to 0",
]


class ToolkitError(Exception):
    def __init__(self, message=None, caused_by=None):
        text = message or (str(caused_by) if caused_by else "unknown error occurred")
        if caused_by is not None:
            text += " (caused by {})".format(caused_by.__class__.__name__)
        super().__init__(text)


class UserError(ToolkitError):
    pass


class AlgorithmError(ToolkitError):
    pass


class PlatformError(ToolkitError):
    pass


# ---------------------------------------------------------------- hyperparameters


class Interval:
    def __init__(self, lo=None, lo_open=False, hi=None, hi_open=False):
        self.lo, self.lo_open, self.hi, self.hi_open = lo, lo_open, hi, hi_open

    def __contains__(self, v):
        if self.lo is not None and (v <= self.lo if self.lo_open else v < self.lo):
            return False
        if self.hi is not None and (v >= self.hi if self.hi_open else v > self.hi):
            return False
        return True

    def __str__(self):
        left = "(-inf, " if self.lo is None else ("({}, " if self.lo_open else "[{}, ").format(self.lo)
        right = "+inf)" if self.hi is None else ("{})" if self.hi_open else "{}]").format(self.hi)
        return left + right


class Check:
    """A range defined by a predicate over an allowed list (printed as the list)."""

    def __init__(self, allowed, pred):
        self.allowed, self.pred = allowed, pred

    def __contains__(self, v):
        return self.pred(self.allowed, v)

    def __str__(self):
        return str(self.allowed)


def _scalar(kind):
    def parse(v):
        return kind(v)

    def check(name, v, rng):
        if rng is not None and v not in rng:
            raise UserError("Hyperparameter {}: {} is not in {}".format(name, v, rng))

    return parse, check


def _listy(parse):
    def check(name, v, rng):
        if any(x not in rng for x in v):
            raise UserError("Hyperparameter {}: value {} not in range {}".format(name, v, rng))

    return parse, check


def _nested_check(name, v, rng):
    if any(x not in rng for outer in v for x in outer):
        raise UserError("Hyperparameter {}: value {} not in range {}".format(name, v, rng))


def _literal(v):
    import ast

    return ast.literal_eval(v) if isinstance(v, str) else v


INT, FLOAT, CAT = _scalar(int), _scalar(float), _scalar(str)
CSV_LIST = _listy(lambda v: v.split(","))
TUPLE = _listy(_literal)
NESTED = (_literal, _nested_check)


class HP:
    def __init__(self, name, kind, rng=None, required=False, deps=None):
        self.name, self.kind, self.rng, self.required, self.deps = name, kind, rng, required, deps or ()
        self.dep_check = None


def _tree_method_ok(allowed, v):
    return v in allowed


def _eval_metric_ok(allowed, metric):
    if "<function" in metric:
        raise UserError("User defined evaluation metric {} is not supported yet.".format(metric))
    if "@" in metric:
        name, threshold = metric.split("@")[0].strip(), metric.split("@")[1].strip()
        if name not in ["error", "ndcg", "map"]:
            raise UserError(
                "Metric '{}' is not supported. Parameter 'eval_metric' with customized threshold should "
                "be one of these options: 'error', 'ndcg', 'map'.".format(metric)
            )
        try:
            float(threshold)
        except ValueError:
            raise UserError("Threshold value 't' in '{}@t' expects float input.".format(name))
        return True
    return metric in allowed


def _objective_deps(value, deps):
    if value in ("multi:softmax", "multi:softprob") and deps.get("num_class") is None:
        raise UserError("Require input for parameter 'num_class' for multi-classification")


def _eval_metric_deps(value, deps):
    objective = deps["objective"]  # the image indexes it too: eval_metric needs an objective
    if "auc" in value and not any(objective.startswith(t) for t in ["binary:", "rank:"]):
        raise UserError("Metric 'auc' can only be applied for classification and ranking problems.")
    if "aft-nloglik" in value and objective not in ["survival:aft"]:
        raise UserError("Metric 'aft-nloglik' can only be applied for 'survival:aft' objective.")


def _monotone_deps(value, deps):
    if value is not None and deps.get("tree_method") not in ("exact", "hist"):
        raise UserError(
            "monotone_constraints can be used only when the tree_method parameter is set to "
            "either 'exact' or 'hist'."
        )


def _interaction_deps(value, deps):
    if value is not None and deps.get("tree_method") not in ("exact", "hist", "approx"):
        raise UserError(
            "interaction_constraints can be used only when the tree_method parameter is set to "
            "either 'exact', 'hist' or 'approx'."
        )


TREE_UPDATERS = [
    "grow_colmaker", "distcol", "grow_histmaker", "grow_local_histmaker", "grow_skmaker", "sync",
    "refresh", "prune", "grow_quantile_histmaker",
]
TREE_BUILDERS = ["grow_colmaker", "distcol", "grow_histmaker", "grow_local_histmaker", "grow_quantile_histmaker"]


def _updater_deps(value, deps):
    if deps.get("booster") == "gblinear":
        if not (len(value) == 1 and value[0] in ["shotgun", "coord_descent"]):
            raise UserError("Linear updater should be one of these options: 'shotgun', 'coord_descent'.")
    elif deps.get("process_type") == "update":
        if not all(x in ["refresh", "prune"] for x in value):
            raise UserError("process_type 'update' can only be used with updater 'refresh' and 'prune'")
    else:
        if not all(x in TREE_UPDATERS for x in value):
            raise UserError(
                "Tree updater should be selected from these options: 'grow_colmaker', 'distcol', 'grow_histmaker', "
                "'grow_local_histmaker', 'grow_skmaker', 'grow_quantile_histmaker', 'sync', 'refresh', 'prune', "
                "'shortgun', 'coord_descent'."
            )
        if sum(1 for x in value if x in TREE_BUILDERS) > 1:
            raise UserError(
                "Only one tree grow plugin can be selected. Choose one from the"
                "following: 'grow_colmaker', 'distcol', 'grow_histmaker', "
                "'grow_local_histmaker', 'grow_skmaker'"
            )


def _hyperparameters(metric_names):
    unit, pos = Interval(0, False, 1, False), Interval(0)
    open_unit = Interval(0, True, 1, False)
    tf = ["true", "false"]
    hps = [
        HP("num_round", INT, Interval(1), required=True),
        HP("csv_weights", INT, unit),
        HP("early_stopping_rounds", INT, Interval(1)),
        HP("booster", CAT, ["gbtree", "gblinear", "dart"]),
        HP("verbosity", INT, Interval(0, False, 3, False)),
        HP("nthread", INT, Interval(1)),
        HP("eta", FLOAT, unit),
        HP("gamma", FLOAT, pos),
        HP("max_depth", INT, pos),
        HP("min_child_weight", FLOAT, pos),
        HP("max_delta_step", FLOAT, pos),
        HP("subsample", FLOAT, open_unit),
        HP("colsample_bytree", FLOAT, open_unit),
        HP("colsample_bylevel", FLOAT, open_unit),
        HP("colsample_bynode", FLOAT, open_unit),
        HP("lambda", FLOAT, pos),
        HP("alpha", FLOAT, pos),
        HP("tree_method", CAT, Check(["auto", "exact", "approx", "hist", "gpu_hist"], _tree_method_ok)),
        HP("sketch_eps", FLOAT, Interval(0, True, 1, True)),
        HP("scale_pos_weight", FLOAT, Interval(0, True)),
        HP("updater", CSV_LIST, TREE_UPDATERS + ["shotgun", "coord_descent"], deps=("booster", "process_type")),
        HP("dsplit", CAT, ["row", "col"]),
        HP("refresh_leaf", INT, unit),
        HP("process_type", CAT, ["default", "update"]),
        HP("grow_policy", CAT, ["depthwise", "lossguide"]),
        HP("max_leaves", INT, pos),
        HP("max_bin", INT, pos),
        HP("predictor", CAT, Check(["auto", "cpu_predictor", "gpu_predictor"], _tree_method_ok)),
        HP("monotone_constraints", TUPLE, [-1, 0, 1], deps=("tree_method",)),
        HP("interaction_constraints", NESTED, Interval(1), deps=("tree_method",)),
        HP("sample_type", CAT, ["uniform", "weighted"]),
        HP("normalize_type", CAT, ["tree", "forest"]),
        HP("rate_drop", FLOAT, unit),
        HP("one_drop", INT, unit),
        HP("skip_drop", FLOAT, unit),
        HP("lambda_bias", FLOAT, unit),
        HP("tweedie_variance_power", FLOAT, Interval(1, True, 2, True)),
        HP(
            "objective",
            CAT,
            [
                "aft_loss_distribution", "binary:logistic", "binary:logitraw", "binary:hinge",
                "count:poisson", "multi:softmax", "multi:softprob", "rank:pairwise", "rank:ndcg",
                "rank:map", "reg:linear", "reg:squarederror", "reg:logistic", "reg:gamma",
                "reg:pseudohubererror", "reg:squaredlogerror", "reg:tweedie", "survival:aft",
                "survival:cox",
            ],
            deps=("num_class",),
        ),
        HP("num_class", INT, Interval(2)),
        HP("base_score", FLOAT, pos),
        HP("_kfold", INT, Interval(2)),
        HP("_num_cv_round", INT, Interval(1)),
        HP("_tuning_objective_metric", CAT, metric_names),
        HP("eval_metric", CSV_LIST, Check(MAXIMIZE_METRICS + MINIMIZE_METRICS, _eval_metric_ok), deps=("objective",)),
        HP("seed", INT, Interval(-(2 ** 31), True, 2 ** 31 - 1, True)),
        HP("num_parallel_tree", INT, Interval(1)),
        HP("save_model_on_termination", CAT, tf),
        HP("aft_loss_distribution", CAT, ["normal", "logistic", "extreme"]),
        HP("aft_loss_distribution_scale", FLOAT, pos),
        HP("single_precision_histogram", CAT, tf),
        HP("deterministic_histogram", CAT, tf),
        HP("sampling_method", CAT, ["uniform", "gradient_based"]),
        HP("prob_buffer_row", INT, Interval(1.0, True)),
        HP("use_dask_gpu_training", CAT, tf),
    ]
    dep_checks = {
        "updater": _updater_deps,
        "objective": _objective_deps,
        "eval_metric": _eval_metric_deps,
        "monotone_constraints": _monotone_deps,
        "interaction_constraints": _interaction_deps,
    }
    for hp in hps:
        hp.dep_check = dep_checks.get(hp.name)
    return {hp.name: hp for hp in hps}


ALIASES = {"learning_rate": "eta", "min_split_loss": "gamma", "reg_lambda": "lambda", "reg_alpha": "alpha"}


def validate_hyperparameters(user):
    metric_names = ["validation:" + m for m in MAXIMIZE_METRICS + MINIMIZE_METRICS]
    known = _hyperparameters(metric_names)
    user = {ALIASES.get(k, k): v for k, v in user.items()}
    for name, hp in known.items():
        if hp.required and name not in user:
            raise UserError("Missing required hyperparameter: {}".format(name))
    parsed = {}
    for name, value in user.items():
        try:
            hp = known[name]
        except KeyError:
            raise UserError("Extraneous hyperparameter found: {}".format(name))
        try:
            parsed[name] = hp.kind[0](value)
        except ValueError as e:
            raise UserError("Hyperparameter {}: could not parse value".format(name), caused_by=e)
    for name, value in parsed.items():
        try:
            known[name].kind[1](name, value, known[name].rng)
        except UserError:
            raise
        except Exception as e:
            raise AlgorithmError("Hyperparameter {}: unexpected failure when validating {}".format(name, value), caused_by=e)

    # Dependencies first: a depth-first order over the declared dependencies.
    order, seen = [], set()

    def visit(name):
        seen.add(name)
        for dep in known[name].deps:
            if dep in parsed and dep not in seen:
                visit(dep)
        order.append(name)

    for name in parsed:
        if name not in seen:
            visit(name)
    validated = {}
    for name in order:
        hp = known[name]
        if hp.dep_check is not None:
            hp.dep_check(parsed[name], {d: validated[d] for d in hp.deps if d in validated})
        validated[name] = parsed[name]
    return validated


# ---------------------------------------------------------------- channels

CSV, LIBSVM, PARQUET, RECORDIO = "csv", "libsvm", "parquet", "recordio-protobuf"
VALID_CONTENT_TYPES = [
    CSV, LIBSVM, PARQUET, RECORDIO, "text/csv", "text/libsvm", "text/x-libsvm",
    "application/x-parquet", "application/x-recordio-protobuf",
]
PIPED_CONTENT_TYPES = [CSV, PARQUET, RECORDIO, "text/csv", "application/x-parquet", "application/x-recordio-protobuf"]


def validate_channels(config):
    supported = {}
    for ch in ("train", "validation"):
        s = set()
        for ct in VALID_CONTENT_TYPES:
            for dist in ("ShardedByS3Key", "FullyReplicated"):
                s.add((ct, "File", dist))
        for ct in PIPED_CONTENT_TYPES:
            for dist in ("ShardedByS3Key", "FullyReplicated"):
                s.add((ct, "Pipe", dist))
        supported[ch] = s
    supported["code"] = {("text/python", "File", "FullyReplicated")}
    if "train" not in config:
        raise UserError("Missing required channel: train")
    out = {}
    for name, value in config.items():
        if name not in supported:
            raise UserError("Extraneous channel found: {}".format(name))
        if "ContentType" not in value:
            value["ContentType"] = "text/libsvm"
        key = (value["ContentType"], value["TrainingInputMode"], value["S3DistributionType"])
        if key not in supported[name]:
            raise UserError("Channel configuration for '{}' channel is not supported: {}".format(name, value))
        out[name] = value
    return out


def content_type(value):
    if value is None:
        return LIBSVM
    parts = [p.strip() for p in value.lower().split(";")]
    base, params = parts[0], dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    if base in (CSV, "text/csv"):
        if "label_size" in params and params["label_size"] != "1":
            raise UserError(
                "{} is not an accepted csv ContentType. Optional parameter label_size must be equal to 1".format(value)
            )
        return CSV
    if base in (LIBSVM, "text/libsvm", "text/x-libsvm"):
        return LIBSVM
    if base in (PARQUET, "application/x-parquet"):
        return PARQUET
    if base in (RECORDIO, "application/x-recordio-protobuf"):
        return RECORDIO
    raise UserError(
        "{} is not an accepted ContentType: {}.".format(value, ", ".join(VALID_CONTENT_TYPES))
    )


# ---------------------------------------------------------------- data


def data_size(path):
    if not os.path.exists(path):
        logging.info("Path %s does not exist!", path)
        return 0
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            if f.startswith("."):
                raise UserError("Hidden file found in the data path! Remove that before training.")
            total += os.path.getsize(os.path.join(root, f))
    return total


def leaf_dir(path):
    if os.path.isfile(path):
        return path
    for root, dirs, _ in os.walk(path):
        if not dirs:
            return root
    return path


def data_files(path):
    path = leaf_dir(path)
    if os.path.isfile(path):
        return [path]
    return [
        os.path.join(path, f)
        for f in sorted(os.listdir(path))
        if os.path.isfile(os.path.join(path, f)) and not f.startswith((".", "_"))
        and not (".cache" in f and ("dtrain" in f or "dval" in f))
    ]


def csv_delimiter(line):
    try:
        delimiter = csv.Sniffer().sniff(line).delimiter
        logging.info("Determined delimiter of CSV input is '%s'", delimiter)
    except Exception as e:
        raise UserError("Could not determine delimiter on line {}:\n{}".format(line[:50], e))
    return delimiter


def libsvm_features(line):
    parts = line.split(" ")
    label = parts[0].split(":")
    if len(label) > 2:
        return -1
    for p in label:
        try:
            float(p)
        except ValueError:
            logging.error("%s does not follow LIBSVM label format <label>(:<weight>).", parts[0])
            return -1
    n = 0
    for p in parts[1:]:
        if ":" not in p or len(parts[1].split(":")) != 2:
            return -1
        n += 1
    return n


def validate_files(path, ctype):
    if not os.path.exists(path):
        raise UserError("{} is not a valid path!".format(path))
    for f in data_files(path):
        with open(f, "r", errors="ignore") as fh:
            if ctype == CSV:
                csv_delimiter(fh.readline())
                continue
            if ctype != LIBSVM:
                continue
            for line in fh:
                n = libsvm_features(line)
                if n > 1:
                    break
                if n < 0:
                    raise UserError(
                        "First line '{}...' of file '{}' is not 'LIBSVM' format. Please ensure the file is in "
                        "'LIBSVM' format.".format(line[:50], os.path.basename(f))
                    )
            else:
                logging.warning(
                    "File %s is not an invalid LIBSVM file but has no features. Accepting simple validation.",
                    os.path.basename(f),
                )


def load_dmatrix(xgb, path, ctype, csv_weights):
    files_path = leaf_dir(path)
    logging.info("files path: %s", files_path)
    if ctype == CSV:
        first = files_path if os.path.isfile(files_path) else data_files(files_path)[0]
        with open(first) as fh:
            delimiter = csv_delimiter(fh.readline())
        uri = "{}?format=csv&label_column=0&delimiter={}".format(files_path, delimiter)
        if csv_weights == 1:
            uri += "&weight_column=1"
        try:
            dm = xgb.DMatrix(uri)
        except Exception as e:
            raise UserError("Failed to load csv data with exception:\n{}".format(e))
    elif ctype == LIBSVM:
        try:
            dm = xgb.DMatrix(files_path + "?format=libsvm")
        except Exception as e:
            raise UserError("Failed to load libsvm data with exception:\n{}".format(e))
    else:
        raise UserError("Content type {} is not supported by stepwise's XGBoost emulation.".format(ctype))
    if dm.get_label().size == 0:
        raise UserError(
            "Got input data without labels. Please check the input data set. "
            "If training job is running on multiple instances, please switch "
            "to using single instance if number of records in the data set "
            "is less than number of workers (16 * number of instance) in the cluster."
        )
    return dm


# ---------------------------------------------------------------- metrics computed outside xgboost


def custom_metrics():
    import numpy as np
    from sklearn import metrics as skm

    def labels_of(preds):
        if preds.ndim > 1 and preds.shape[-1] > 1:
            return np.argmax(preds, axis=-1)
        return (preds > 0.0).astype(int)

    def classif(fn):
        return lambda preds, d: fn(d.get_label(), labels_of(preds))

    return {
        "accuracy": classif(skm.accuracy_score),
        "balanced_accuracy": classif(skm.balanced_accuracy_score),
        "f1": classif(lambda y, p: skm.f1_score(y, p, average="macro")),
        "f1_binary": classif(lambda y, p: skm.f1_score(y, p, average="binary")),
        "f1_macro": classif(lambda y, p: skm.f1_score(y, p, average="macro")),
        "mse": lambda preds, d: skm.mean_squared_error(d.get_label(), preds),
        "rmse": lambda preds, d: skm.mean_squared_error(d.get_label(), preds, squared=False),
        "mae": lambda preds, d: skm.mean_absolute_error(d.get_label(), preds),
        "precision": classif(skm.precision_score),
        "precision_macro": classif(lambda y, p: skm.precision_score(y, p, average="macro")),
        "precision_micro": classif(lambda y, p: skm.precision_score(y, p, average="micro")),
        "r2": lambda preds, d: skm.r2_score(d.get_label(), preds),
        "recall": classif(skm.recall_score),
        "recall_macro": classif(lambda y, p: skm.recall_score(y, p, average="macro")),
        "recall_micro": classif(lambda y, p: skm.recall_score(y, p, average="micro")),
    }


def eval_setup(tuning_metric, eval_metric):
    tuning = None
    if tuning_metric is not None:
        tuning = tuning_metric.split(":")[1].split(",")
        logging.info("Setting up HPO optimized metric to be : %s", tuning_metric.split(":")[1])
    if tuning is None and eval_metric is None:
        return None, None, tuning
    union = sorted(set(tuning or []) | set(eval_metric or [])) if tuning and eval_metric else (tuning or eval_metric)
    custom = custom_metrics()
    mine = [m for m in union if m in custom]
    if not mine:
        return union, None, tuning

    def feval(preds, dmat):
        return [(m, custom[m](preds, dmat)) for m in mine]

    return list(set(union) - set(mine)), feval, tuning


# ---------------------------------------------------------------- training


def latest_checkpoint(xgb, directory):
    if not directory or not os.path.isdir(directory):
        return None, 0
    pattern = re.compile(r"^{}\.[0-9]+$".format(re.escape(CHECKPOINT_NAME)))
    found = sorted((f for f in os.listdir(directory) if pattern.match(f)), key=lambda f: int(f.split(".")[1]))
    for f in reversed(found[-5:]):
        path = os.path.join(directory, f)
        try:
            xgb.Booster().load_model(path)
            return path, int(f.split(".")[1]) + 1
        except xgb.core.XGBoostError:
            logging.debug("Wrong checkpoint model format %s", f)
    return None, 0


def callbacks_for(xgb, model_dir, checkpoint_dir, es_data, es_metric, es_rounds, fold=None):
    if checkpoint_dir and fold is not None:
        checkpoint_dir = os.path.join(checkpoint_dir, "model-{}".format(fold))
    resume, start = latest_checkpoint(xgb, checkpoint_dir)
    if resume is not None:
        logging.info("Checkpoint loaded from %s", resume)
        logging.info("Resuming from iteration %s", start)
    cbs = [xgb.callback.EvaluationMonitor()]
    if checkpoint_dir:

        class SaveCheckpoint(xgb.callback.TrainingCallback):
            def after_iteration(self, model, epoch, evals_log):
                os.makedirs(checkpoint_dir, exist_ok=True)
                model.save_model(os.path.join(checkpoint_dir, "{}.{}".format(CHECKPOINT_NAME, start + epoch)))
                return False

        cbs.append(SaveCheckpoint())
    if es_data and es_metric and es_rounds:
        cbs.append(
            xgb.callback.EarlyStopping(
                rounds=es_rounds, data_name=es_data, metric_name=es_metric,
                maximize=es_metric in MAXIMIZE_METRICS, save_best=True,
            )
        )
    return resume, start, cbs


def train_job(xgb, cfg, dtrain, dval, dall, model_dir, checkpoint_dir):
    num_round = cfg.pop("num_round")
    cfg.pop("save_model_on_termination", None)
    tuning_param = cfg.pop("_tuning_objective_metric", None)
    eval_metric = cfg.get("eval_metric")
    cleaned, feval, tuning = eval_setup(tuning_param, eval_metric)
    if cleaned:
        cfg["eval_metric"] = cleaned
    else:
        cfg.pop("eval_metric", None)
    es_rounds = cfg.pop("early_stopping_rounds", None)
    es_data = "validation" if dval else None
    es_metric = None
    if es_rounds:
        es_metric = tuning[-1] if tuning else (eval_metric[-1] if eval_metric else None)

    logging.info("Train matrix has %d rows and %d columns", dtrain.num_row(), dtrain.num_col())
    if dval:
        logging.info("Validation matrix has %d rows", dval.num_row())
    try:
        kfold = cfg.pop("_kfold", None)
        if kfold is None:
            evals = [(dtrain, "train")] + ([(dval, "validation")] if dval is not None else [])
            resume, start, cbs = callbacks_for(xgb, model_dir, checkpoint_dir, es_data, es_metric, es_rounds)
            boosters = xgb.train(
                cfg, dtrain, num_boost_round=num_round - start, evals=evals, feval=feval,
                callbacks=cbs, xgb_model=resume, verbose_eval=False,
            )
        else:
            from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

            repeats = cfg.pop("_num_cv_round", 1)
            logging.info("Run %d-round of %d-fold cross validation with %d rows", repeats, kfold, dall.num_row())
            objective = cfg.get("objective") or ""
            classify = cfg.get("num_class") or objective.startswith("binary:")
            y = dall.get_label() if classify else None
            split = (RepeatedStratifiedKFold if y is not None else RepeatedKFold)(n_splits=kfold, n_repeats=repeats)
            boosters = []
            for train_idx, val_idx in split.split(X=range(dall.num_row()), y=y):
                dt, dv = dall.slice(train_idx), dall.slice(val_idx)
                evals = [(dt, "train")] + ([(dv, "validation")] if dval is not None else [])
                resume, start, cbs = callbacks_for(
                    xgb, model_dir, checkpoint_dir, es_data, es_metric, es_rounds, fold=len(boosters)
                )
                logging.info("Train cross validation fold %d", (len(boosters) % kfold) + 1)
                boosters.append(
                    xgb.train(
                        cfg, dt, num_boost_round=num_round - start, evals=evals, feval=feval,
                        callbacks=cbs, xgb_model=resume, verbose_eval=False,
                    )
                )
    except Exception as e:
        for known in CUSTOMER_ERRORS:
            if known in str(e):
                raise UserError(str(e))
        raise AlgorithmError("XGB train call failed with exception:\n {}".format(e))

    os.makedirs(model_dir, exist_ok=True)
    if isinstance(boosters, list):
        for i, b in enumerate(boosters):
            b.save_model(os.path.join(model_dir, "{}-{}".format(MODEL_NAME, i)))
    else:
        boosters.save_model(os.path.join(model_dir, MODEL_NAME))


def sagemaker_train(train_config, data_config, train_path, val_path, model_dir, hosts, checkpoint_config):
    import xgboost as xgb

    cfg = validate_hyperparameters(train_config)
    if cfg.get("updater"):
        cfg["updater"] = ",".join(cfg["updater"])
    channels = validate_channels(data_config)
    ctype = content_type(channels["train"].get("ContentType"))
    pipe = channels["train"].get("TrainingInputMode") == "Pipe"
    if pipe:
        raise UserError("Pipe mode is not supported by stepwise's XGBoost emulation; use TrainingInputMode File.")
    csv_weights = cfg.get("csv_weights", 0)
    if cfg.pop("use_dask_gpu_training", "false") == "true":
        raise UserError("Dask GPU training is not supported by stepwise's XGBoost emulation.")
    if len(hosts) > 1:
        logging.warning("stepwise trains on one host; %d hosts were asked for.", len(hosts))

    if val_path is not None and (train_path == val_path or os.path.basename(train_path) == os.path.basename(val_path)):
        logging.warning(
            "Found same path for training and validation. This is not recommended and results may not be correct."
        )
    train_size = data_size(train_path) if train_path else 0
    val_size = data_size(val_path) if val_path else 0
    if train_size > 0:
        validate_files(train_path, ctype)
    if val_size > 0:
        validate_files(val_path, ctype)
    dtrain = load_dmatrix(xgb, train_path, ctype, csv_weights) if train_size > 0 else None
    dval = load_dmatrix(xgb, val_path, ctype, csv_weights) if val_size > 0 else None
    dall = dtrain
    if "_kfold" in cfg and dtrain is not None and dval is not None:
        raise UserError("_kfold with a validation channel is not supported by stepwise's XGBoost emulation.")
    if not dtrain:
        raise UserError("No data in training channel path {}".format(train_path))
    if "validation" in channels and not dval:
        raise UserError("No data in validation channel path {}".format(val_path))
    logging.info("Single node training.")
    train_job(xgb, cfg, dtrain, dval, dall, model_dir, checkpoint_config.get("LocalPath"))


def run():
    config_dir = os.path.join(BASE_DIR, "input", "config")
    with open(os.environ.get("SM_INPUT_TRAINING_CONFIG_FILE", os.path.join(config_dir, "hyperparameters.json"))) as f:
        train_config = json.load(f)
    for k, v in train_config.items():
        try:
            json.loads(v)
        except (ValueError, TypeError):
            logging.info("Failed to parse hyperparameter %s value %s to Json.\nReturning the value itself", k, v)
    logging.info("Running XGBoost Sagemaker in algorithm mode")
    with open(os.environ.get("SM_INPUT_DATA_CONFIG_FILE", os.path.join(config_dir, "inputdataconfig.json"))) as f:
        data_config = json.load(f)
    checkpoint_file = os.environ.get("SM_CHECKPOINT_CONFIG_FILE", os.path.join(config_dir, "checkpointconfig.json"))
    checkpoint_config = {}
    if os.path.exists(checkpoint_file):
        with open(checkpoint_file) as f:
            checkpoint_config = json.load(f)
        local = checkpoint_config.get("LocalPath")
        if local and os.environ.get("SAGEMAKER_BASE_DIR") and (local == "/opt/ml" or local.startswith("/opt/ml/")):
            checkpoint_config["LocalPath"] = BASE_DIR + local[len("/opt/ml"):]
    sagemaker_train(
        train_config=train_config,
        data_config=data_config,
        train_path=os.environ["SM_CHANNEL_TRAIN"],
        val_path=os.environ.get("SM_CHANNEL_VALIDATION"),
        model_dir=os.environ.get("SM_MODEL_DIR", os.path.join(BASE_DIR, "model")),
        hosts=json.loads(os.environ.get("SM_HOSTS", '["algo-1"]')),
        checkpoint_config=checkpoint_config,
    )


def write_output_file(name, text):
    path = os.path.join(os.environ.get("SM_OUTPUT_DIR", os.path.join(BASE_DIR, "output")), name)
    if name == "failure" and os.path.exists(path):
        logging.info("Failure file exists. Skipping creation....")
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    logging.basicConfig(
        format="[%(asctime)s:%(levelname)s] %(message)s", datefmt="%Y-%m-%d:%H:%M:%S", level=logging.INFO
    )
    logging.captureWarnings(True)
    try:
        run()
    except Exception as e:
        message = "framework error: \n%s\n%s" % (traceback.format_exc(), str(e))
        write_output_file("failure", message)
        logging.error("Reporting training FAILURE")
        logging.error(message)
        errno = getattr(e, "errno", 1)
        sys.exit(errno if isinstance(errno, int) and 1 <= errno <= 255 else 1)
    logging.info("Reporting training SUCCESS")
    write_output_file("success", "")


if __name__ == "__main__":
    main()
