# Delete Lambda function
aws lambda delete-function \
    --function-name EvaluateModel

echo "âœ… Lambda function deleted"
