"""Evaluation (a SageMaker processing job): scores the trained model on the test set and
writes the metrics twice: evaluation.json in the job's output (uploaded to S3), and the
job's exit message (/opt/ml/output/message, which DescribeProcessingJob returns as
ExitMessage), which is how the state machine reads them."""
import json
import math
import os
import tarfile

import joblib
import pandas as pd
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

MODEL = "/opt/ml/processing/model/model.tar.gz"
TEST = "/opt/ml/processing/test/test.csv"
OUTPUT = "/opt/ml/processing/evaluation"


def main():
    with tarfile.open(MODEL) as tar:
        tar.extractall("/tmp/model")
    model = joblib.load("/tmp/model/model.pkl")
    test = pd.read_csv(TEST)
    X, y = test.drop("target", axis=1), test["target"]
    pred = model.predict(X.values)
    metrics = {
        "test_rmse": round(math.sqrt(mean_squared_error(y, pred)), 4),
        "test_r2": round(float(r2_score(y, pred)), 4),
        "test_mae": round(float(mean_absolute_error(y, pred)), 4),
        "test_samples": int(len(test)),
    }
    print(f"metrics: {metrics}")
    os.makedirs(OUTPUT, exist_ok=True)
    with open(os.path.join(OUTPUT, "evaluation.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    os.makedirs("/opt/ml/output", exist_ok=True)
    with open("/opt/ml/output/message", "w") as f:
        json.dump(metrics, f)


if __name__ == "__main__":
    main()
