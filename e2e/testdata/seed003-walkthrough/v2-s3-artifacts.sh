# List model artifacts with details
aws s3 ls s3://${S3_BUCKET_NAME}/model-artifacts/ --recursive --human-readable

# Check processed data
aws s3 ls s3://${S3_BUCKET_NAME}/processed-data/ --human-readable

# Verify code artifacts
aws s3 ls s3://${S3_BUCKET_NAME}/code/
