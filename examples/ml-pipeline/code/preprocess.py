"""Preprocessing (a SageMaker processing job): checks the raw housing data, drops
incomplete rows, splits it 80/20 into training and test sets, and scales the features
with a StandardScaler fitted on the training set only. Writes
/opt/ml/processing/output/{train/train.csv, test/test.csv, scaler/scaler.pkl}."""
import argparse
import os

import joblib
import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

FEATURES = ["MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", default="/opt/ml/processing/input/data/housing.csv")
    parser.add_argument("--output", default="/opt/ml/processing/output")
    parser.add_argument("--test-fraction", type=float, default=0.2)
    args = parser.parse_args()

    df = pd.read_csv(args.input)
    missing = [c for c in FEATURES + ["target"] if c not in df.columns]
    if missing:
        raise SystemExit(f"input lacks columns {missing}")
    before = len(df)
    df = df.dropna()
    print(f"read {before} rows, kept {len(df)} complete ones")

    rng = np.random.default_rng(42)
    test_mask = rng.random(len(df)) < args.test_fraction
    train, test = df[~test_mask], df[test_mask]

    scaler = StandardScaler().fit(train[FEATURES])
    for name, part in (("train", train), ("test", test)):
        scaled = pd.DataFrame(scaler.transform(part[FEATURES]), columns=FEATURES)
        scaled["target"] = part["target"].values
        os.makedirs(os.path.join(args.output, name), exist_ok=True)
        scaled.to_csv(os.path.join(args.output, name, f"{name}.csv"), index=False)
        print(f"{name}: {len(scaled)} rows")
    os.makedirs(os.path.join(args.output, "scaler"), exist_ok=True)
    joblib.dump(scaler, os.path.join(args.output, "scaler", "scaler.pkl"))


if __name__ == "__main__":
    main()
