# Create state machine definition
cat > ml-pipeline-state-machine.json << EOF
{
  "Comment": "ML Pipeline with SageMaker and Step Functions",
  "StartAt": "DataPreprocessing",
  "States": {
    "DataPreprocessing": {
      "Type": "Task",
      "Resource": "arn:aws:states:::sagemaker:createProcessingJob.sync",
      "Parameters": {
        "ProcessingJobName.$": "$.PreprocessingJobName",
        "RoleArn": "${SAGEMAKER_ROLE_ARN}",
        "AppSpecification": {
          "ImageUri": "246618743249.dkr.ecr.${AWS_REGION}.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
          "ContainerEntrypoint": [
            "python3",
            "/opt/ml/processing/input/code/preprocessing.py"
          ],
          "ContainerArguments": [
            "--input-data",
            "/opt/ml/processing/input/data/train.csv",
            "--output-data",
            "/opt/ml/processing/output/train_processed.csv"
          ]
        },
        "ProcessingInputs": [
          {
            "InputName": "data",
            "S3Input": {
              "S3Uri": "s3://${S3_BUCKET_NAME}/raw-data",
              "LocalPath": "/opt/ml/processing/input/data",
              "S3DataType": "S3Prefix"
            }
          },
          {
            "InputName": "code",
            "S3Input": {
              "S3Uri": "s3://${S3_BUCKET_NAME}/code",
              "LocalPath": "/opt/ml/processing/input/code",
              "S3DataType": "S3Prefix"
            }
          }
        ],
        "ProcessingOutputs": [
          {
            "OutputName": "processed_data",
            "S3Output": {
              "S3Uri": "s3://${S3_BUCKET_NAME}/processed-data",
              "LocalPath": "/opt/ml/processing/output"
            }
          }
        ],
        "ProcessingResources": {
          "ClusterConfig": {
            "InstanceCount": 1,
            "InstanceType": "ml.m5.large",
            "VolumeSizeInGB": 30
          }
        }
      },
      "Next": "ModelTraining",
      "Catch": [
        {
          "ErrorEquals": ["States.ALL"],
          "Next": "ProcessingJobFailed"
        }
      ],
      "Retry": [
        {
          "ErrorEquals": ["States.TaskFailed"],
          "IntervalSeconds": 30,
          "MaxAttempts": 2,
          "BackoffRate": 2.0
        }
      ]
    },
    "ModelTraining": {
      "Type": "Task",
      "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
      "Parameters": {
        "TrainingJobName.$": "$.TrainingJobName",
        "RoleArn": "${SAGEMAKER_ROLE_ARN}",
        "AlgorithmSpecification": {
          "TrainingImage": "246618743249.dkr.ecr.${AWS_REGION}.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
          "TrainingInputMode": "File"
        },
        "InputDataConfig": [
          {
            "ChannelName": "train",
            "DataSource": {
              "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": "s3://${S3_BUCKET_NAME}/processed-data",
                "S3DataDistributionType": "FullyReplicated"
              }
            }
          },
          {
            "ChannelName": "test",
            "DataSource": {
              "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": "s3://${S3_BUCKET_NAME}/raw-data",
                "S3DataDistributionType": "FullyReplicated"
              }
            }
          },
          {
            "ChannelName": "code",
            "DataSource": {
              "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": "s3://${S3_BUCKET_NAME}/code",
                "S3DataDistributionType": "FullyReplicated"
              }
            }
          }
        ],
        "OutputDataConfig": {
          "S3OutputPath": "s3://${S3_BUCKET_NAME}/model-artifacts"
        },
        "ResourceConfig": {
          "InstanceType": "ml.m5.large",
          "InstanceCount": 1,
          "VolumeSizeInGB": 30
        },
        "StoppingCondition": {
          "MaxRuntimeInSeconds": 3600
        },
        "HyperParameters": {
          "sagemaker_program": "training.py",
          "sagemaker_submit_directory": "/opt/ml/input/data/code"
        }
      },
      "Next": "ModelEvaluation",
      "Catch": [
        {
          "ErrorEquals": ["States.ALL"],
          "Next": "TrainingJobFailed"
        }
      ],
      "Retry": [
        {
          "ErrorEquals": ["States.TaskFailed"],
          "IntervalSeconds": 60,
          "MaxAttempts": 2,
          "BackoffRate": 2.0
        }
      ]
    },
    "ModelEvaluation": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {
        "FunctionName": "EvaluateModel",
        "Payload": {
          "TrainingJobName.$": "$.TrainingJobName",
          "S3Bucket": "${S3_BUCKET_NAME}"
        }
      },
      "ResultPath": "$.EvaluationResult",
      "Next": "CheckModelPerformance"
    },
    "CheckModelPerformance": {
      "Type": "Choice",
      "Choices": [
        {
          "Variable": "$.EvaluationResult.Payload.test_r2",
          "NumericGreaterThan": 0.7,
          "Next": "CreateModel"
        }
      ],
      "Default": "ModelPerformanceInsufficient"
    },
    "CreateModel": {
      "Type": "Task",
      "Resource": "arn:aws:states:::sagemaker:createModel",
      "Parameters": {
        "ModelName.$": "$.ModelName",
        "ExecutionRoleArn": "${SAGEMAKER_ROLE_ARN}",
        "PrimaryContainer": {
          "Image": "246618743249.dkr.ecr.${AWS_REGION}.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
          "ModelDataUrl.$": "$.ModelDataUrl",
          "Environment": {
            "SAGEMAKER_PROGRAM": "inference.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/code"
          }
        }
      },
      "Next": "CreateEndpointConfig"
    },
    "CreateEndpointConfig": {
      "Type": "Task",
      "Resource": "arn:aws:states:::sagemaker:createEndpointConfig",
      "Parameters": {
        "EndpointConfigName.$": "$.EndpointConfigName",
        "ProductionVariants": [
          {
            "VariantName": "primary",
            "ModelName.$": "$.ModelName",
            "InitialInstanceCount": 1,
            "InstanceType": "ml.t2.medium",
            "InitialVariantWeight": 1
          }
        ]
      },
      "Next": "CreateEndpoint"
    },
    "CreateEndpoint": {
      "Type": "Task",
      "Resource": "arn:aws:states:::sagemaker:createEndpoint",
      "Parameters": {
        "EndpointName.$": "$.EndpointName",
        "EndpointConfigName.$": "$.EndpointConfigName"
      },
      "Next": "MLPipelineComplete"
    },
    "MLPipelineComplete": {
      "Type": "Succeed",
      "Result": "ML Pipeline completed successfully"
    },
    "ProcessingJobFailed": {
      "Type": "Fail",
      "Error": "ProcessingJobFailed",
      "Cause": "The data preprocessing job failed after retries"
    },
    "TrainingJobFailed": {
      "Type": "Fail",
      "Error": "TrainingJobFailed",
      "Cause": "The model training job failed after retries"
    },
    "ModelPerformanceInsufficient": {
      "Type": "Fail",
      "Error": "ModelPerformanceInsufficient",
      "Cause": "Model performance does not meet the required threshold (RÂ² > 0.7)"
    }
  }
}
EOF

echo "âœ… State machine definition created"
