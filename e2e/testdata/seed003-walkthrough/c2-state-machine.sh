# Delete state machine
aws stepfunctions delete-state-machine \
    --state-machine-arn ${STATE_MACHINE_ARN}

echo "âœ… Step Functions state machine deleted"
