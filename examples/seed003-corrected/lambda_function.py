import io
import json
import os
import tarfile

import boto3
from botocore.exceptions import ClientError


def lambda_handler(event, context):
    s3 = boto3.client('s3')

    # Get training job name and S3 bucket from event
    training_job_name = event['TrainingJobName']
    s3_bucket = event['S3Bucket']

    try:
        # SageMaker uploads what training.py wrote to SM_OUTPUT_DATA_DIR (evaluation.json)
        # as <S3OutputPath>/<job>/output/output.tar.gz: read the file from that archive.
        output_key = f"model-artifacts/{training_job_name}/output/output.tar.gz"

        print(f"Attempting to retrieve evaluation metrics from s3://{s3_bucket}/{output_key}")
        response = s3.get_object(Bucket=s3_bucket, Key=output_key)
        with tarfile.open(fileobj=io.BytesIO(response['Body'].read()), mode='r:gz') as archive:
            member = next(m for m in archive.getmembers() if os.path.normpath(m.name) == 'evaluation.json')
            evaluation_data = json.load(archive.extractfile(member))

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
    except StopIteration:
        print(f"No evaluation.json in s3://{s3_bucket}/{output_key}")
        return {
            'error': "No evaluation.json in the training job's output",
            'test_r2': 0.0
        }
    except (json.JSONDecodeError, tarfile.TarError) as e:
        print(f"Invalid evaluation output: {str(e)}")
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
