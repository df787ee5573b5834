package sagemaker

// registerTuning adds this area's operations, Step Functions actions and resource kinds to
// the service (see registerTraining for the pattern).
func (s *Service) registerTuning() {}
