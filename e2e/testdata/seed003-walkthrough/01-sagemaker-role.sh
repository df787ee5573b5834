# Create SageMaker execution role
cat > sagemaker-trust-policy.json << EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": "sagemaker.amazonaws.com"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}
EOF

aws iam create-role --role-name ${SAGEMAKER_ROLE_NAME} \
    --assume-role-policy-document file://sagemaker-trust-policy.json

# Attach managed policies to SageMaker role
aws iam attach-role-policy --role-name ${SAGEMAKER_ROLE_NAME} \
    --policy-arn arn:aws:iam::aws:policy/AmazonSageMakerFullAccess

aws iam attach-role-policy --role-name ${SAGEMAKER_ROLE_NAME} \
    --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess

export SAGEMAKER_ROLE_ARN=$(aws iam get-role \
    --role-name ${SAGEMAKER_ROLE_NAME} \
    --query Role.Arn --output text)

echo "âœ… SageMaker role created: ${SAGEMAKER_ROLE_ARN}"
