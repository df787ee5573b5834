# Test the deployed model endpoint with sample data
cat > test-prediction.json << 'EOF'
{
  "instances": [
    [8.3252, 41.0, 6.984126984126984, 1.0238095238095237, 322.0, 2.5555555555555554, 37.88, -122.23],
    [8.3014, 21.0, 6.238137082601054, 0.9711649365628111, 2401.0, 2.109841827768014, 37.86, -122.22]
  ]
}
EOF

# Make prediction request
aws sagemaker-runtime invoke-endpoint \
    --endpoint-name ${ENDPOINT_NAME} \
    --content-type application/json \
    --body file://test-prediction.json \
    prediction-output.json

echo "âœ… Prediction results:"
cat prediction-output.json | python -m json.tool

# Test endpoint health and performance
echo ""
echo "ðŸ“Š Endpoint Status:"
aws sagemaker describe-endpoint \
    --endpoint-name ${ENDPOINT_NAME} \
    --query '{Status:EndpointStatus,CreationTime:CreationTime,LastModifiedTime:LastModifiedTime}' \
    --output table
