import pandas as pd
import numpy as np
import argparse
import os
from sklearn.preprocessing import StandardScaler
import joblib

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--input-data', type=str, required=True)
    parser.add_argument('--output-data', type=str, required=True)
    
    args = parser.parse_args()
    
    # Read data
    df = pd.read_csv(args.input_data)
    
    # Separate features and target
    X = df.drop('target', axis=1)
    y = df['target']
    
    # Apply preprocessing with StandardScaler
    scaler = StandardScaler()
    X_scaled = scaler.fit_transform(X)
    
    # Create processed DataFrame
    processed_df = pd.DataFrame(X_scaled, columns=X.columns)
    processed_df['target'] = y.values
    
    # Save processed data
    processed_df.to_csv(args.output_data, index=False)
    
    # Save scaler for inference consistency
    scaler_path = os.path.join(os.path.dirname(args.output_data), 'scaler.pkl')
    joblib.dump(scaler, scaler_path)
    
    print(f"Processed data saved to: {args.output_data}")
    print(f"Scaler saved to: {scaler_path}")
    print(f"Feature scaling completed for {X.shape[1]} features")

if __name__ == '__main__':
    main()
