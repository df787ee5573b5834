"""Serving (a SageMaker endpoint, scikit-learn image): takes raw feature rows, scales
them as the preprocessing did, and predicts.

Request:  {"instances": [[MedInc, HouseAge, AveRooms, AveBedrms, Population, AveOccup, Latitude, Longitude], ...]}
          or CSV rows of the same eight values.
Reply:    {"predictions": [...]}"""
import io
import json
import os

import joblib
import numpy as np


def model_fn(model_dir):
    return {
        "model": joblib.load(os.path.join(model_dir, "model.pkl")),
        "scaler": joblib.load(os.path.join(model_dir, "scaler.pkl")),
    }


def input_fn(body, content_type):
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    if content_type == "application/json":
        return np.array(json.loads(body)["instances"], dtype=float)
    if content_type == "text/csv":
        return np.loadtxt(io.StringIO(body), delimiter=",", ndmin=2)
    raise ValueError(f"unsupported content type {content_type}")


def predict_fn(rows, model):
    return model["model"].predict(model["scaler"].transform(rows))


def output_fn(predictions, accept):
    return json.dumps({"predictions": [round(float(p), 4) for p in predictions]})
