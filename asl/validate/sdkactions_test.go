package validate

import "testing"

// The aws-sdk:sagemaker resources: the model registry is only offered there
// (sagemaker:createModelPackage is no optimized integration), an action SageMaker does
// not have and the .sync patterns are refused as for optimized integrations.
func TestSDKSageMakerResources(t *testing.T) {
	t.Parallel()
	task := func(res string) string {
		return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + res + `","End":true}}}`
	}
	refused := func(res string) []string {
		return []string{"SCHEMA_VALIDATION_FAILED: The resource provided " + res + " is not recognized. The value is not a valid resource ARN, or the resource is not available in this region. at /States/T/Resource"}
	}
	runRules(t, []ruleCase{
		{"createModelPackage", "", task("arn:aws:states:::aws-sdk:sagemaker:createModelPackage"), nil},
		{"describeEndpoint", "", task("arn:aws:states:::aws-sdk:sagemaker:describeEndpoint"), nil},
		{"callback", "", task("arn:aws:states:::aws-sdk:sagemaker:updateModelPackage.waitForTaskToken"), nil},
		{"optimized createModelPackage", "", task("arn:aws:states:::sagemaker:createModelPackage"),
			refused("arn:aws:states:::sagemaker:createModelPackage")},
		{"unknown action", "", task("arn:aws:states:::aws-sdk:sagemaker:createModelPackages"),
			refused("arn:aws:states:::aws-sdk:sagemaker:createModelPackages")},
		{"PascalCase action", "", task("arn:aws:states:::aws-sdk:sagemaker:CreateModelPackage"),
			refused("arn:aws:states:::aws-sdk:sagemaker:CreateModelPackage")},
		{"no action", "", task("arn:aws:states:::aws-sdk:sagemaker"),
			refused("arn:aws:states:::aws-sdk:sagemaker")},
		{".sync", "", task("arn:aws:states:::aws-sdk:sagemaker:createTrainingJob.sync"),
			refused("arn:aws:states:::aws-sdk:sagemaker:createTrainingJob.sync")},
		{".sync:2", "", task("arn:aws:states:::aws-sdk:sagemaker:describeModelPackage.sync:2"),
			refused("arn:aws:states:::aws-sdk:sagemaker:describeModelPackage.sync:2")},
		{"other services are open", "", task("arn:aws:states:::aws-sdk:dynamodb:query"), nil},
	})
}
