# Check endpoint status and configuration
aws sagemaker describe-endpoint \
    --endpoint-name ${ENDPOINT_NAME} \
    --query '{Status:EndpointStatus,InstanceType:ProductionVariants[0].InstanceType,CreationTime:CreationTime}' \
    --output table
