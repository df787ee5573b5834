# Delete all objects in bucket (including versioned objects)
aws s3api delete-objects \
    --bucket ${S3_BUCKET_NAME} \
    --delete "$(aws s3api list-object-versions \
        --bucket ${S3_BUCKET_NAME} \
        --query '{Objects: Versions[].{Key:Key,VersionId:VersionId}}')"

# Delete any remaining objects
aws s3 rm s3://${S3_BUCKET_NAME} --recursive

# Delete bucket
aws s3 rb s3://${S3_BUCKET_NAME}

echo "âœ… S3 bucket and contents deleted"
