# Create sample dataset (California Housing for regression)
cat > generate_sample_data.py << 'EOF'
import pandas as pd
import numpy as np
from sklearn.datasets import fetch_california_housing
from sklearn.model_selection import train_test_split

# Load California Housing dataset (recommended replacement for Boston Housing)
california = fetch_california_housing(as_frame=True)
X, y = california.data, california.target

# Create DataFrame
df = pd.DataFrame(X)
df['target'] = y

# Split into train and test sets
train_df, test_df = train_test_split(df, test_size=0.2, random_state=42)

# Save to CSV files
train_df.to_csv('train.csv', index=False)
test_df.to_csv('test.csv', index=False)

print(f"Training data shape: {train_df.shape}")
print(f"Test data shape: {test_df.shape}")
print(f"Features: {list(california.feature_names)}")
print(f"Target mean: {y.mean():.2f}")
EOF

python generate_sample_data.py

# Upload data to S3
aws s3 cp train.csv s3://${S3_BUCKET_NAME}/raw-data/
aws s3 cp test.csv s3://${S3_BUCKET_NAME}/raw-data/

echo "âœ… Sample data uploaded to S3"
