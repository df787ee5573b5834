"""Seed 004's model evaluation script (the article names it, without its text).

Loads the XGBoost model the training job wrote (a model.tar.gz somewhere under
/opt/ml/processing/model: the state machine passes the whole S3OutputPath, so the
newest one is taken), scores the held-out test set (/opt/ml/processing/test, label
first, no header), and writes accuracy_report.json and statistics.json (the file the
state machine registers as the package's ModelDataQuality statistics) to
/opt/ml/processing/output.
"""
import glob
import json
import os
import pickle
import tarfile
import tempfile

import numpy as np
import pandas as pd
import xgboost as xgb

MODEL_DIR = "/opt/ml/processing/model"
TEST_DIR = "/opt/ml/processing/test"
OUTPUT = "/opt/ml/processing/output"

archives = glob.glob(os.path.join(MODEL_DIR, "**", "model.tar.gz"), recursive=True)
if not archives:
    raise SystemExit("no model.tar.gz under %s" % MODEL_DIR)
archive = max(archives, key=os.path.getmtime)
extract = tempfile.mkdtemp()
with tarfile.open(archive) as tar:
    tar.extractall(extract)
path = os.path.join(extract, "xgboost-model")
try:
    with open(path, "rb") as f:
        booster = pickle.load(f)
except Exception:
    booster = xgb.Booster()
    booster.load_model(path)

frames = [pd.read_csv(p, header=None) for p in sorted(glob.glob(os.path.join(TEST_DIR, "*.csv")))]
test = pd.concat(frames)
y = test.iloc[:, 0].to_numpy()
scores = booster.predict(xgb.DMatrix(test.iloc[:, 1:].to_numpy()))
pred = (scores >= 0.5).astype(int)

tp = int(((pred == 1) & (y == 1)).sum())
fp = int(((pred == 1) & (y == 0)).sum())
fn = int(((pred == 0) & (y == 1)).sum())
accuracy = float((pred == y).mean())
precision = tp / (tp + fp) if tp + fp else 0.0
recall = tp / (tp + fn) if tp + fn else 0.0
report = {"binary_classification_metrics": {
    "accuracy": {"value": accuracy},
    "precision": {"value": precision},
    "recall": {"value": recall},
}}
stats = {"dataset": {"item_count": int(len(y)), "positive_rate": float(y.mean())},
         "model": archive[len(MODEL_DIR):], "score_mean": float(np.mean(scores))}
os.makedirs(OUTPUT, exist_ok=True)
with open(os.path.join(OUTPUT, "accuracy_report.json"), "w") as f:
    json.dump(report, f)
with open(os.path.join(OUTPUT, "statistics.json"), "w") as f:
    json.dump(stats, f)
print("accuracy %.4f precision %.4f recall %.4f" % (accuracy, precision, recall))
