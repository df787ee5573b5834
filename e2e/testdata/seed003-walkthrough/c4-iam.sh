# Detach and delete SageMaker role
aws iam detach-role-policy \
    --role-name ${SAGEMAKER_ROLE_NAME} \
    --policy-arn arn:aws:iam::aws:policy/AmazonSageMakerFullAccess

aws iam detach-role-policy \
    --role-name ${SAGEMAKER_ROLE_NAME} \
    --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess

aws iam delete-role --role-name ${SAGEMAKER_ROLE_NAME}

# Detach and delete Step Functions role
aws iam detach-role-policy \
    --role-name ${STEP_FUNCTIONS_ROLE_NAME} \
    --policy-arn arn:aws:iam::${AWS_ACCOUNT_ID}:policy/StepFunctionsSageMakerPolicy

aws iam delete-role --role-name ${STEP_FUNCTIONS_ROLE_NAME}

# Delete custom policy
aws iam delete-policy \
    --policy-arn arn:aws:iam::${AWS_ACCOUNT_ID}:policy/StepFunctionsSageMakerPolicy

# Delete Lambda role
aws iam detach-role-policy \
    --role-name LambdaEvaluateModelRole \
    --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole

aws iam detach-role-policy \
    --role-name LambdaEvaluateModelRole \
    --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess

aws iam delete-role --role-name LambdaEvaluateModelRole

echo "âœ… IAM roles and policies deleted"
