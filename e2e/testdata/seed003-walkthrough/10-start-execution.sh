# Generate unique job names with timestamp
TIMESTAMP=$(date +%Y%m%d%H%M%S)
PREPROCESSING_JOB_NAME="preprocessing-${TIMESTAMP}"
TRAINING_JOB_NAME="training-${TIMESTAMP}"
MODEL_NAME="model-${TIMESTAMP}"
ENDPOINT_CONFIG_NAME="endpoint-config-${TIMESTAMP}"
ENDPOINT_NAME="endpoint-${TIMESTAMP}"

# Create input for pipeline execution
cat > pipeline-input.json << EOF
{
  "PreprocessingJobName": "${PREPROCESSING_JOB_NAME}",
  "TrainingJobName": "${TRAINING_JOB_NAME}",
  "ModelName": "${MODEL_NAME}",
  "EndpointConfigName": "${ENDPOINT_CONFIG_NAME}",
  "EndpointName": "${ENDPOINT_NAME}",
  "ModelDataUrl": "s3://${S3_BUCKET_NAME}/model-artifacts/${TRAINING_JOB_NAME}/output/model.tar.gz"
}
EOF

# Execute the pipeline
EXECUTION_ARN=$(aws stepfunctions start-execution \
    --state-machine-arn ${STATE_MACHINE_ARN} \
    --name "execution-${TIMESTAMP}" \
    --input file://pipeline-input.json \
    --query 'executionArn' --output text)

echo "âœ… Pipeline execution started: ${EXECUTION_ARN}"
echo "Monitor execution in AWS Console: https://${AWS_REGION}.console.aws.amazon.com/states/home?region=${AWS_REGION}#/executions/details/${EXECUTION_ARN}"
echo "Or use CLI: aws stepfunctions describe-execution --execution-arn ${EXECUTION_ARN}"
