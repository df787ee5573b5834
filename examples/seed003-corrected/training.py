import pandas as pd
import numpy as np
import argparse
import os
import joblib
import json
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_squared_error, r2_score, mean_absolute_error
import tarfile

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--model-dir', type=str, default=os.environ.get('SM_MODEL_DIR'))
    parser.add_argument('--train', type=str, default=os.environ.get('SM_CHANNEL_TRAIN'))
    parser.add_argument('--test', type=str, default=os.environ.get('SM_CHANNEL_TEST'))
    parser.add_argument('--output-data-dir', type=str, default=os.environ.get('SM_OUTPUT_DATA_DIR'))
    
    args = parser.parse_args()
    
    # Read training data
    train_df = pd.read_csv(os.path.join(args.train, 'train_processed.csv'))
    test_df = pd.read_csv(os.path.join(args.test, 'test.csv'))
    
    # Prepare features and targets
    X_train = train_df.drop('target', axis=1)
    y_train = train_df['target']
    X_test = test_df.drop('target', axis=1)
    y_test = test_df['target']

    # The test set is raw: scale it with the scaler the preprocessing job fitted on the
    # training set, and keep that scaler with the model for the endpoint.
    scaler = joblib.load(os.path.join(args.train, 'scaler.pkl'))
    X_test = pd.DataFrame(scaler.transform(X_test), columns=X_test.columns)
    joblib.dump(scaler, os.path.join(args.model_dir, 'scaler.pkl'))
    
    # Train Random Forest model with optimized parameters
    rf_model = RandomForestRegressor(
        n_estimators=100, 
        max_depth=10, 
        min_samples_split=5,
        random_state=42,
        n_jobs=-1
    )
    rf_model.fit(X_train, y_train)
    
    # Make predictions
    y_pred_train = rf_model.predict(X_train)
    y_pred_test = rf_model.predict(X_test)
    
    # Calculate comprehensive metrics
    train_rmse = np.sqrt(mean_squared_error(y_train, y_pred_train))
    test_rmse = np.sqrt(mean_squared_error(y_test, y_pred_test))
    train_r2 = r2_score(y_train, y_pred_train)
    test_r2 = r2_score(y_test, y_pred_test)
    train_mae = mean_absolute_error(y_train, y_pred_train)
    test_mae = mean_absolute_error(y_test, y_pred_test)
    
    # Save model
    model_path = os.path.join(args.model_dir, 'model.pkl')
    joblib.dump(rf_model, model_path)
    
    # Save evaluation metrics for automated quality gates
    metrics = {
        'train_rmse': float(train_rmse),
        'test_rmse': float(test_rmse),
        'train_r2': float(train_r2),
        'test_r2': float(test_r2),
        'train_mae': float(train_mae),
        'test_mae': float(test_mae),
        'feature_count': int(X_train.shape[1]),
        'training_samples': int(X_train.shape[0])
    }
    
    metrics_path = os.path.join(args.output_data_dir, 'evaluation.json')
    with open(metrics_path, 'w') as f:
        json.dump(metrics, f, indent=2)
    
    print(f"Model saved to: {model_path}")
    print(f"Evaluation metrics: {metrics}")
    print(f"Model performance - Test RÂ²: {test_r2:.4f}, Test RMSE: {test_rmse:.4f}")

if __name__ == '__main__':
    main()
