# Create Step Functions state machine
aws stepfunctions create-state-machine \
    --name ${ML_PIPELINE_NAME} \
    --definition file://ml-pipeline-state-machine.json \
    --role-arn ${STEP_FUNCTIONS_ROLE_ARN}

# Get state machine ARN
export STATE_MACHINE_ARN=$(aws stepfunctions list-state-machines \
    --query "stateMachines[?name=='${ML_PIPELINE_NAME}'].stateMachineArn" \
    --output text)

echo "âœ… Step Functions state machine created: ${STATE_MACHINE_ARN}"
echo "View in AWS Console: https://${AWS_REGION}.console.aws.amazon.com/states/home?region=${AWS_REGION}#/statemachines/view/${STATE_MACHINE_ARN}"
