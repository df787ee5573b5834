"""Seed 004's data preprocessing script (the article names it, without its text).

Reads the raw transactions (/opt/ml/processing/input/input.csv: amount, hour,
distance_km, tx_24h, foreign, is_fraud), derives features, and writes a shuffled
80/20 split for SageMaker's built-in XGBoost: label first, no header, under
/opt/ml/processing/output/{train,test}/.
"""
import os

import numpy as np
import pandas as pd

INPUT = "/opt/ml/processing/input/input.csv"
OUTPUT = "/opt/ml/processing/output"

df = pd.read_csv(INPUT)
print("read %d transactions, %d fraudulent" % (len(df), int(df["is_fraud"].sum())))

features = pd.DataFrame({
    "log_amount": np.log1p(df["amount"].clip(lower=0)),
    "night": ((df["hour"] < 6) | (df["hour"] >= 23)).astype(int),
    "distance_km": df["distance_km"],
    "tx_24h": df["tx_24h"],
    "foreign": df["foreign"].astype(int),
})
data = pd.concat([df["is_fraud"].astype(int), features], axis=1)
data = data.sample(frac=1.0, random_state=42).reset_index(drop=True)
cut = int(len(data) * 0.8)
for name, part in (("train", data.iloc[:cut]), ("test", data.iloc[cut:])):
    os.makedirs(os.path.join(OUTPUT, name), exist_ok=True)
    part.to_csv(os.path.join(OUTPUT, name, name + ".csv"), header=False, index=False)
    print("%s: %d rows" % (name, len(part)))
