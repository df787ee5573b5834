import joblib
import json
import numpy as np
import pandas as pd
import os

def model_fn(model_dir):
    """Load model for inference"""
    model_path = os.path.join(model_dir, 'model.pkl')
    model = joblib.load(model_path)
    # The model was fitted on scaled features: requests carry raw ones.
    scaler = joblib.load(os.path.join(model_dir, 'scaler.pkl'))
    return {'model': model, 'scaler': scaler}

def input_fn(request_body, request_content_type):
    """Parse input data for inference"""
    if request_content_type == 'application/json':
        input_data = json.loads(request_body)
        return np.array(input_data['instances'])
    elif request_content_type == 'text/csv':
        from io import StringIO
        return pd.read_csv(StringIO(request_body)).values
    else:
        raise ValueError(f"Unsupported content type: {request_content_type}")

def predict_fn(input_data, model):
    """Make prediction using the loaded model"""
    predictions = model['model'].predict(model['scaler'].transform(input_data))
    return predictions

def output_fn(predictions, accept):
    """Format output for client consumption"""
    if accept == 'application/json':
        return json.dumps({
            'predictions': predictions.tolist(),
            'model_type': 'RandomForestRegressor'
        })
    else:
        return str(predictions.tolist())
