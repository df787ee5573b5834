// Package e2e tests a real `stepwise server` process from the outside: the binary is built
// once, servers run on free loopback ports with their own data directories, and they are
// driven by the clients users have (the aws CLI, boto3, raw HTTP), killed with SIGKILL and
// restarted to check that executions survive, and compared with moto's server where moto
// answers differently from AWS.
//
// The tests skip what the machine lacks (aws, python3 with boto3, moto). The long crash
// run is behind STEPWISE_E2E_LONG=1 (a short one always runs); STEPWISE_E2E_SEED repeats
// a run's kill moments. Known divergences from AWS (knownDivergences) skip with their
// reason; STEPWISE_E2E_STRICT=1 makes them fail. Load figures come from scripts/load, not
// from here: a test never asserts a wall-clock time.
package e2e
