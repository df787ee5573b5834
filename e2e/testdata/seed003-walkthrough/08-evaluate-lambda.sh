# Create Lambda function for model evaluation
cat > evaluate_model.py << 'EOF'
import json
import boto3
import os
from botocore.exceptions import ClientError

def lambda_handler(event, context):
    s3 = boto3.client('s3')
    
    # Get training job name and S3 bucket from event
    training_job_name = event['TrainingJobName']
    s3_bucket = event['S3Bucket']
    
    try:
        # Download evaluation metrics from S3
        evaluation_key = f"model-artifacts/{training_job_name}/output/evaluation.json"
        
        print(f"Attempting to retrieve evaluation metrics from s3://{s3_bucket}/{evaluation_key}")
        response = s3.get_object(Bucket=s3_bucket, Key=evaluation_key)
        evaluation_data = json.loads(response['Body'].read())
        
        # Log evaluation metrics for monitoring
        print(f"Model evaluation metrics: {evaluation_data}")
        
        # Return metrics for decision making
        return evaluation_data
    
    except ClientError as e:
        error_code = e.response['Error']['Code']
        print(f"S3 Error ({error_code}): {e.response['Error']['Message']}")
        return {
            'error': f"Failed to retrieve evaluation metrics: {error_code}",
            'test_r2': 0.0  # Fail safe value to prevent deployment
        }
    except json.JSONDecodeError as e:
        print(f"JSON parsing error: {str(e)}")
        return {
            'error': "Invalid evaluation metrics format",
            'test_r2': 0.0
        }
    except Exception as e:
        print(f"Unexpected error: {str(e)}")
        return {
            'error': f"Evaluation failed: {str(e)}",
            'test_r2': 0.0
        }
EOF

# Create deployment package
zip -q evaluate_model.zip evaluate_model.py

# Create Lambda function
LAMBDA_ROLE_ARN=$(aws iam create-role \
    --role-name LambdaEvaluateModelRole \
    --assume-role-policy-document '{
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Principal": {
            "Service": "lambda.amazonaws.com"
          },
          "Action": "sts:AssumeRole"
        }
      ]
    }' \
    --query 'Role.Arn' --output text)

# Attach basic execution policy
aws iam attach-role-policy \
    --role-name LambdaEvaluateModelRole \
    --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole

# Attach S3 read policy
aws iam attach-role-policy \
    --role-name LambdaEvaluateModelRole \
    --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess

# Wait for role to be ready
sleep 15

aws lambda create-function \
    --function-name EvaluateModel \
    --runtime python3.11 \
    --role ${LAMBDA_ROLE_ARN} \
    --handler evaluate_model.lambda_handler \
    --zip-file fileb://evaluate_model.zip \
    --timeout 60 \
    --memory-size 256

echo "âœ… Lambda function created for model evaluation"
