"""Seed 000's processing step: the raw housing CSV (header, target last) becomes the
built-in XGBoost's training CSV (no header, target first) and a test CSV of features
only (what batch transform sends the model)."""
import csv
import glob
import os

rows = []
for path in sorted(glob.glob("/opt/ml/processing/input/raw/*.csv")):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows.extend(reader)
split = int(len(rows) * 0.8)
os.makedirs("/opt/ml/processing/output/train", exist_ok=True)
os.makedirs("/opt/ml/processing/output/test", exist_ok=True)
with open("/opt/ml/processing/output/train/train.csv", "w", newline="") as f:
    w = csv.writer(f)
    for r in rows[:split]:
        w.writerow([r[-1]] + r[:-1])
with open("/opt/ml/processing/output/test/test.csv", "w", newline="") as f:
    w = csv.writer(f)
    for r in rows[split:]:
        w.writerow(r[:-1])
print("train rows: %d, test rows: %d" % (split, len(rows) - split))
