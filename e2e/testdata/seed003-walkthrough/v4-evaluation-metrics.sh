# Download and analyze evaluation metrics
aws s3 cp s3://${S3_BUCKET_NAME}/model-artifacts/${TRAINING_JOB_NAME}/output/evaluation.json .

echo "ðŸ“ˆ Model Evaluation Metrics:"
cat evaluation.json | python -c "
import json, sys
data = json.load(sys.stdin)
print(f'Test RÂ² Score: {data[\"test_r2\"]:.4f}')
print(f'Test RMSE: {data[\"test_rmse\"]:.4f}')
print(f'Test MAE: {data[\"test_mae\"]:.4f}')
print(f'Training Samples: {data[\"training_samples\"]}')
print(f'Feature Count: {data[\"feature_count\"]}')
"
