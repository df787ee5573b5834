# Create Step Functions trust policy
cat > step-functions-trust-policy.json << EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": "states.amazonaws.com"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}
EOF

aws iam create-role --role-name ${STEP_FUNCTIONS_ROLE_NAME} \
    --assume-role-policy-document file://step-functions-trust-policy.json

# Create custom policy for Step Functions SageMaker integration
cat > step-functions-sagemaker-policy.json << EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "sagemaker:CreateProcessingJob",
        "sagemaker:CreateTrainingJob",
        "sagemaker:CreateModel",
        "sagemaker:CreateEndpointConfig",
        "sagemaker:CreateEndpoint",
        "sagemaker:UpdateEndpoint",
        "sagemaker:DeleteEndpoint",
        "sagemaker:DescribeProcessingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:DescribeModel",
        "sagemaker:DescribeEndpoint",
        "sagemaker:ListTags",
        "sagemaker:AddTags"
      ],
      "Resource": "*"
    },
    {
      "Effect": "Allow",
      "Action": [
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:ListBucket"
      ],
      "Resource": [
        "arn:aws:s3:::${S3_BUCKET_NAME}",
        "arn:aws:s3:::${S3_BUCKET_NAME}/*"
      ]
    },
    {
      "Effect": "Allow",
      "Action": [
        "iam:PassRole"
      ],
      "Resource": "${SAGEMAKER_ROLE_ARN}"
    },
    {
      "Effect": "Allow",
      "Action": [
        "lambda:InvokeFunction"
      ],
      "Resource": "arn:aws:lambda:${AWS_REGION}:${AWS_ACCOUNT_ID}:function:EvaluateModel"
    }
  ]
}
EOF

aws iam create-policy --policy-name StepFunctionsSageMakerPolicy \
    --policy-document file://step-functions-sagemaker-policy.json

aws iam attach-role-policy --role-name ${STEP_FUNCTIONS_ROLE_NAME} \
    --policy-arn arn:aws:iam::${AWS_ACCOUNT_ID}:policy/StepFunctionsSageMakerPolicy

export STEP_FUNCTIONS_ROLE_ARN=$(aws iam get-role \
    --role-name ${STEP_FUNCTIONS_ROLE_NAME} \
    --query Role.Arn --output text)

echo "âœ… Step Functions role created: ${STEP_FUNCTIONS_ROLE_ARN}"
