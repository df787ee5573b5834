# List all executions for the state machine
aws stepfunctions list-executions \
    --state-machine-arn ${STATE_MACHINE_ARN} \
    --query 'executions[*].[name,status,startDate,stopDate]' \
    --output table
