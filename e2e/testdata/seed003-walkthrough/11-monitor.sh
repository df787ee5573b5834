# Function to check execution status
check_execution_status() {
    aws stepfunctions describe-execution \
        --execution-arn ${EXECUTION_ARN} \
        --query 'status' --output text
}

# Function to get execution details
get_execution_details() {
    aws stepfunctions describe-execution \
        --execution-arn ${EXECUTION_ARN} \
        --query '{status:status,startDate:startDate,endDate:endDate}' \
        --output table
}

# Wait for execution to complete with enhanced monitoring
echo "Monitoring pipeline execution..."
EXECUTION_START_TIME=$(date +%s)

while true; do
    STATUS=$(check_execution_status)
    CURRENT_TIME=$(date +%s)
    ELAPSED_TIME=$((CURRENT_TIME - EXECUTION_START_TIME))
    
    echo "Status: ${STATUS} | Elapsed: ${ELAPSED_TIME}s | $(date)"
    
    if [ "$STATUS" = "SUCCEEDED" ]; then
        echo "âœ… Pipeline execution completed successfully!"
        get_execution_details
        break
    elif [ "$STATUS" = "FAILED" ]; then
        echo "âŒ Pipeline execution failed"
        aws stepfunctions describe-execution \
            --execution-arn ${EXECUTION_ARN} \
            --query '{error:error,cause:cause}' \
            --output table
        break
    elif [ "$STATUS" = "TIMED_OUT" ]; then
        echo "â° Pipeline execution timed out"
        break
    elif [ "$STATUS" = "ABORTED" ]; then
        echo "ðŸ›‘ Pipeline execution was aborted"
        break
    fi
    
    # Timeout after 30 minutes
    if [ $ELAPSED_TIME -gt 1800 ]; then
        echo "â° Monitoring timeout reached (30 minutes)"
        break
    fi
    
    sleep 30
done
