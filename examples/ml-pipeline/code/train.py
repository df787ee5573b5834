"""Training (a SageMaker training job in script mode, scikit-learn image): fits a
RandomForestRegressor on the train channel and saves it with the preprocessing's scaler
in the model directory, so the endpoint can take raw rows."""
import argparse
import os
import shutil

import joblib
import pandas as pd
from sklearn.ensemble import RandomForestRegressor


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n_estimators", type=int, default=100)
    parser.add_argument("--max_depth", type=int, default=10)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"))
    parser.add_argument("--scaler", default=os.environ.get("SM_CHANNEL_SCALER"))
    args = parser.parse_args()

    df = pd.read_csv(os.path.join(args.train, "train.csv"))
    X, y = df.drop("target", axis=1), df["target"]
    model = RandomForestRegressor(n_estimators=args.n_estimators, max_depth=args.max_depth,
                                  min_samples_split=5, random_state=42, n_jobs=-1)
    model.fit(X.values, y.values)
    print(f"trained on {len(df)} rows, {X.shape[1]} features; train R^2 {model.score(X.values, y.values):.4f}")

    joblib.dump(model, os.path.join(args.model_dir, "model.pkl"))
    shutil.copy(os.path.join(args.scaler, "scaler.pkl"), os.path.join(args.model_dir, "scaler.pkl"))


if __name__ == "__main__":
    main()
