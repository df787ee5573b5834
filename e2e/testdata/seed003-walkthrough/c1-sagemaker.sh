# Delete endpoint (incurs ongoing costs)
aws sagemaker delete-endpoint \
    --endpoint-name ${ENDPOINT_NAME}

# Wait for endpoint deletion
aws sagemaker wait endpoint-deleted \
    --endpoint-name ${ENDPOINT_NAME}

# Delete endpoint configuration
aws sagemaker delete-endpoint-config \
    --endpoint-config-name ${ENDPOINT_CONFIG_NAME}

# Delete model
aws sagemaker delete-model \
    --model-name ${MODEL_NAME}

echo "âœ… SageMaker resources deleted"
