package sagemaker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

// The live side of endpoints: the serving processes ("instances") of each production
// variant, the routing table InvokeEndpoint reads, and their supervision.
//
// An endpoint's routing table is swapped atomically: a deployment (CreateEndpoint,
// UpdateEndpoint, a restart of the server) starts a whole new fleet of processes,
// waits until every one answers /ping, then installs a table that points at it. The
// old fleet is drained (its requests in flight finish) and stopped afterwards, so
// invocations never see a half-built fleet.

// fleetManager holds the endpoints this process serves.
type fleetManager struct {
	s   *Service
	mu  sync.RWMutex
	eps map[string]*liveEndpoint
}

// fleets returns the service's fleet manager.
func (s *Service) fleets() *fleetManager { return s.fleet }

// liveEndpoint is an endpoint this process serves (or is bringing up).
type liveEndpoint struct {
	name, arn string
	ctx       context.Context // ended by DeleteEndpoint and by the service's stop
	cancel    context.CancelFunc

	route atomic.Pointer[routeTable] // nil while no fleet is in service

	opMu    sync.Mutex // one deployment at a time
	current *fleet     // the fleet route points at (under opMu)
	gen     int        // last fleet generation (under opMu)
}

func (m *fleetManager) lookup(name string) *liveEndpoint {
	m.mu.RLock()
	le := m.eps[name]
	m.mu.RUnlock()
	return le
}

// open returns the live endpoint of name, making it when there is none.
func (m *fleetManager) open(name, arn string) *liveEndpoint {
	m.mu.Lock()
	defer m.mu.Unlock()
	if le := m.eps[name]; le != nil {
		return le
	}
	ctx, cancel := context.WithCancel(m.s.ctx)
	le := &liveEndpoint{name: name, arn: arn, ctx: ctx, cancel: cancel}
	m.eps[name] = le
	return le
}

// remove forgets an endpoint (DeleteEndpoint): invocations no longer find it.
func (m *fleetManager) remove(name string) *liveEndpoint {
	m.mu.Lock()
	defer m.mu.Unlock()
	le := m.eps[name]
	delete(m.eps, name)
	return le
}

// fleet is the serving processes of one deployment of an endpoint.
type fleet struct {
	gen int

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced when an instance comes or goes
	instances []*liveInstance
}

func newFleet(gen int) *fleet { return &fleet{gen: gen, changed: make(chan struct{})} }

func (f *fleet) changedCh() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *fleet) notify() {
	f.mu.Lock()
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

func (f *fleet) all() []*liveInstance {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*liveInstance(nil), f.instances...)
}

// liveVariant is a production variant's instances; immutable (a change of capacity
// makes a new one that shares the instances kept).
type liveVariant struct {
	name      string
	f         *fleet
	instances []*liveInstance
	rr        atomic.Uint64
}

// errStaleRoute: every instance of the variant is being stopped (the table was
// replaced since it was read); read the table again.
var errStaleRoute = errors.New("the routing table changed")

// acquire picks an available instance round-robin and counts the caller in flight on
// it. While none is available (restarting after a crash) it waits for one.
func (v *liveVariant) acquire(ctx context.Context) (*liveInstance, *servingInstance, error) {
	n := len(v.instances)
	if n == 0 {
		return nil, nil, errStaleRoute
	}
	for {
		ch := v.f.changedCh()
		start := int(v.rr.Add(1) % uint64(n))
		stopping := 0
		for i := range n {
			in := v.instances[(start+i)%n]
			si, gone := in.acquire()
			if si != nil {
				return in, si, nil
			}
			if gone {
				stopping++
			}
		}
		if stopping == n {
			return nil, nil, errStaleRoute
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// routeEntry is a variant and its current weight.
type routeEntry struct {
	v      *liveVariant
	weight float64
}

// routeTable is what InvokeEndpoint routes by: variants with weights, picked by smooth
// weighted round-robin (each variant gets weight/Σweights of the requests, evenly
// spread; a variant of weight 0 gets none unless it is targeted).
type routeTable struct {
	entries []routeEntry
	byName  map[string]*liveVariant
	total   float64

	mu  sync.Mutex
	cur []float64
}

func newRouteTable(entries []routeEntry) *routeTable {
	t := &routeTable{entries: entries, byName: map[string]*liveVariant{}, cur: make([]float64, len(entries))}
	for _, e := range entries {
		t.byName[e.v.name] = e.v
		t.total += e.weight
	}
	return t
}

// pick chooses the variant of the next request; nil when every weight is 0.
func (t *routeTable) pick() *liveVariant {
	if len(t.entries) == 1 && t.total > 0 {
		return t.entries[0].v
	}
	if t.total <= 0 {
		return nil
	}
	t.mu.Lock()
	best := -1
	for i, e := range t.entries {
		if e.weight <= 0 {
			continue
		}
		t.cur[i] += e.weight
		if best < 0 || t.cur[i] > t.cur[best] {
			best = i
		}
	}
	t.cur[best] -= t.total
	t.mu.Unlock()
	return t.entries[best].v
}

// liveInstance is one serving process of a variant, restarted when it dies.
type liveInstance struct {
	f       *fleet
	variant string
	index   int
	opts    servingOptions
	model   string
	ctx     context.Context
	cancel  context.CancelFunc

	mu       sync.Mutex
	si       *servingInstance // nil while (re)starting
	inflight int
	stopping bool
	idle     chan struct{} // closed when the last request in flight ends during a stop
}

// acquire counts a request in flight; si is nil when the instance cannot take it
// (gone: it is being stopped for good).
func (in *liveInstance) acquire() (si *servingInstance, gone bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stopping {
		return nil, true
	}
	if in.si == nil {
		return nil, false
	}
	in.inflight++
	return in.si, false
}

func (in *liveInstance) release() {
	in.mu.Lock()
	in.inflight--
	if in.inflight == 0 && in.idle != nil {
		close(in.idle)
		in.idle = nil
	}
	in.mu.Unlock()
}

// logStream names the instance as SageMaker names an endpoint's log streams.
func (in *liveInstance) logStream() string {
	return fmt.Sprintf("%s/i-%d-%d", in.variant, in.f.gen, in.index)
}

// stop takes the instance out of service, lets the requests in flight on it end
// (for at most drain), and stops its process.
func (in *liveInstance) stop(drain time.Duration) {
	in.mu.Lock()
	in.stopping = true
	in.cancel()
	si := in.si
	var idle chan struct{}
	if in.inflight > 0 && drain > 0 {
		in.idle = make(chan struct{})
		idle = in.idle
	}
	in.mu.Unlock()
	in.f.notify()
	if idle != nil {
		t := time.NewTimer(drain)
		select {
		case <-idle:
		case <-t.C:
		}
		t.Stop()
	}
	if si != nil {
		si.Stop()
	}
	_ = os.RemoveAll(filepath.Join(in.opts.Dir, "opt"))
}

// stopAll stops instances in parallel.
func stopAll(ins []*liveInstance, drain time.Duration) {
	var wg sync.WaitGroup
	for _, in := range ins {
		wg.Add(1)
		go func() { defer wg.Done(); in.stop(drain) }()
	}
	wg.Wait()
}

// variantError is a variant whose fleet could not be brought up.
type variantError struct {
	variant string
	err     error
}

func (e *variantError) Error() string { return e.variant + ": " + e.err.Error() }
func (e *variantError) Unwrap() error { return e.err }

// startFleet starts every instance of the variants in parallel and waits until all
// answer /ping. On a failure it stops what it started and returns a *variantError.
func (m *fleetManager) startFleet(ctx context.Context, le *liveEndpoint, gen int, variants []ProductionVariant, models map[string]*Model) (*fleet, []*liveVariant, error) {
	f := newFleet(gen)
	var lvs []*liveVariant
	for _, pv := range variants {
		lv := &liveVariant{name: pv.VariantName, f: f}
		for i := range pv.instanceCount() {
			lv.instances = append(lv.instances, m.newInstance(le, f, &pv, models[pv.ModelName], i+1))
		}
		lvs = append(lvs, lv)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	for _, lv := range lvs {
		for _, in := range lv.instances {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := m.startInstance(ctx, in); err != nil {
					errMu.Lock()
					if firstErr == nil && ctx.Err() == nil {
						firstErr = &variantError{variant: lv.name, err: err}
					}
					errMu.Unlock()
					cancel()
				}
			}()
		}
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		stopAll(f.all(), 0)
		return nil, nil, firstErr
	}
	for _, in := range f.all() {
		m.supervise(in)
	}
	return f, lvs, nil
}

func (m *fleetManager) newInstance(le *liveEndpoint, f *fleet, pv *ProductionVariant, model *Model, index int) *liveInstance {
	ctx, cancel := context.WithCancel(le.ctx)
	opts := servingOptions{
		Dir:          filepath.Join(m.s.jobDir(kindEndpoint, le.name), fmt.Sprintf("g%d-%s-%d", f.gen, pv.VariantName, index)),
		InstanceType: pv.InstanceType,
		OnLine:       m.s.logTo(logGroupEndpoints+le.name, pv.VariantName+"/"+instanceID(le.name+"/"+pv.VariantName, index)),
		model:        model,
	}
	if t := pv.ContainerStartupHealthCheckTimeoutInSeconds; t != nil {
		opts.StartupTimeout = time.Duration(*t) * time.Second
	}
	in := &liveInstance{f: f, variant: pv.VariantName, index: index, opts: opts, ctx: ctx, cancel: cancel}
	if model != nil {
		in.model = model.ModelName
	}
	f.mu.Lock()
	f.instances = append(f.instances, in)
	f.mu.Unlock()
	return in
}

// startInstance starts the instance's process and puts it in service.
func (m *fleetManager) startInstance(ctx context.Context, in *liveInstance) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-in.ctx.Done():
			stop()
		case <-ctx.Done():
		}
	}()
	si, err := m.s.startServing(ctx, in.model, in.opts)
	if err != nil {
		return err
	}
	in.mu.Lock()
	if in.stopping {
		in.mu.Unlock()
		si.Stop()
		return context.Canceled
	}
	in.si = si
	in.mu.Unlock()
	in.f.notify()
	return nil
}

// supervise starts the instance again whenever its process ends on its own, as
// SageMaker replaces an unhealthy instance; requests wait for it meanwhile.
func (m *fleetManager) supervise(in *liveInstance) {
	m.s.wg.Add(1)
	go func() {
		defer m.s.wg.Done()
		for {
			in.mu.Lock()
			si := in.si
			in.mu.Unlock()
			if si == nil {
				return
			}
			select {
			case <-si.Done():
			case <-in.ctx.Done():
				return // stopped for good, or the service is stopping (which stops the process)
			}
			in.mu.Lock()
			if in.stopping {
				in.mu.Unlock()
				return
			}
			in.si = nil
			in.mu.Unlock()
			in.f.notify()
			si.Stop() // releases its connections
			m.s.log.Warn("an endpoint's serving process ended; starting it again",
				"endpoint_instance", in.logStream(), "log", si.LogPath, "exit", si.exit())
			backoff := time.Second
			for {
				err := m.startInstance(in.ctx, in)
				if err == nil {
					break
				}
				if in.ctx.Err() != nil {
					return
				}
				m.s.log.Error("an endpoint's serving process could not be started again",
					"endpoint_instance", in.logStream(), "err", err, "retry_in", backoff)
				select {
				case <-m.s.cfg.Clock.After(backoff):
				case <-in.ctx.Done():
					return
				}
				backoff = min(backoff*2, time.Minute)
			}
		}
	}()
}

// deploy brings an endpoint's live fleet to what its stored document says, in the
// background: the configuration in service (Creating, or after a server restart), then
// an update (UpdateEndpoint's Pending configuration, or new weights and capacities).
// Deployments of one endpoint run one at a time.
func (m *fleetManager) deploy(name, arn string) {
	le := m.open(name, arn)
	m.s.wg.Add(1)
	go func() {
		defer m.s.wg.Done()
		le.opMu.Lock()
		defer le.opMu.Unlock()
		if le.ctx.Err() != nil {
			return
		}
		if err := m.reconcile(le); err != nil && le.ctx.Err() == nil {
			m.s.log.Error("deploying an endpoint", "endpoint", name, "err", err)
		}
	}()
}

func (m *fleetManager) reconcile(le *liveEndpoint) error {
	ctx := context.WithoutCancel(le.ctx)
	doc, err := m.s.loadEndpoint(ctx, le.name)
	if err != nil {
		return err
	}
	switch doc.EndpointStatus {
	case endpointDeleting, endpointFailed, endpointOutOfService, endpointUpdateRollbackFailed:
		return nil
	}
	if le.current == nil {
		le.gen++
		variants := desiredVariants(doc.Config, doc.ProductionVariants)
		f, lvs, err := m.startFleet(le.ctx, le, le.gen, variants, doc.Models)
		if err != nil {
			if le.ctx.Err() != nil {
				return nil
			}
			reason := endpointFailureReason(err)
			m.s.log.Info("an endpoint failed to start", "endpoint", le.name, "reason", reason)
			return m.s.endpointUpdate(ctx, le.name, func(d *endpointDoc, now time.Time) error {
				d.EndpointStatus, d.FailureReason = endpointFailed, reason
				d.Pending, d.PendingModels, d.PendingDeployment, d.PendingDeploymentSummary = nil, nil, nil, nil
				for i := range d.ProductionVariants {
					zero := 0
					d.ProductionVariants[i].CurrentInstanceCount = &zero
					d.ProductionVariants[i].VariantStatus = nil
				}
				return nil
			})
		}
		m.install(le, f, lvs, variants)
		err = m.s.endpointUpdate(ctx, le.name, func(d *endpointDoc, now time.Time) error {
			if d.EndpointStatus != endpointUpdating || d.Pending == nil {
				d.EndpointStatus = endpointInService
			}
			d.ProductionVariants = m.s.variantSummaries(ctx, &EndpointConfig{ProductionVariants: variants}, d.Models, endpointInService, now)
			return nil
		})
		if err != nil {
			return err
		}
		if doc, err = m.s.loadEndpoint(ctx, le.name); err != nil {
			return err
		}
	}
	if doc.EndpointStatus != endpointUpdating {
		return nil
	}
	if doc.Pending != nil {
		return m.blueGreen(ctx, le, doc)
	}
	return m.rescale(ctx, le, doc)
}

// install points the endpoint's routing at a fleet.
func (m *fleetManager) install(le *liveEndpoint, f *fleet, lvs []*liveVariant, variants []ProductionVariant) {
	entries := make([]routeEntry, len(lvs))
	for i, lv := range lvs {
		entries[i] = routeEntry{v: lv, weight: variants[i].weight()}
	}
	le.current = f
	le.route.Store(newRouteTable(entries))
}

// blueGreen deploys the pending configuration next to the current fleet and moves all
// traffic to it at once.
func (m *fleetManager) blueGreen(ctx context.Context, le *liveEndpoint, doc *endpointDoc) error {
	le.gen++
	variants := doc.Pending.ProductionVariants
	f, lvs, err := m.startFleet(le.ctx, le, le.gen, variants, doc.PendingModels)
	if err != nil {
		if le.ctx.Err() != nil {
			return nil
		}
		reason := endpointFailureReason(err)
		m.s.log.Info("an endpoint update failed; the endpoint keeps its configuration", "endpoint", le.name, "reason", reason)
		return m.s.endpointUpdate(ctx, le.name, func(d *endpointDoc, now time.Time) error {
			d.EndpointStatus, d.FailureReason = endpointInService, reason
			d.Pending, d.PendingModels, d.PendingDeployment, d.PendingDeploymentSummary = nil, nil, nil, nil
			return nil
		})
	}
	old := le.current
	m.install(le, f, lvs, variants)
	err = m.s.endpointUpdate(ctx, le.name, func(d *endpointDoc, now time.Time) error {
		d.EndpointStatus, d.FailureReason = endpointInService, ""
		d.EndpointConfigName = d.Pending.EndpointConfigName
		d.Config, d.Models = d.Pending, d.PendingModels
		d.DataCaptureConfig = d.Pending.DataCaptureConfig
		d.ProductionVariants = m.s.variantSummaries(ctx, &EndpointConfig{ProductionVariants: variants}, d.Models, endpointInService, now)
		if d.PendingDeployment != nil {
			d.LastDeploymentConfig = d.PendingDeployment
		}
		d.Pending, d.PendingModels, d.PendingDeployment, d.PendingDeploymentSummary = nil, nil, nil, nil
		return nil
	})
	if old != nil {
		m.retire(le, old, terminationWait(doc.PendingDeployment))
	}
	return err
}

// retire stops a replaced fleet after wait, once its requests in flight have ended.
func (m *fleetManager) retire(le *liveEndpoint, old *fleet, wait time.Duration) {
	m.s.wg.Add(1)
	go func() {
		defer m.s.wg.Done()
		if wait > 0 {
			select {
			case <-m.s.cfg.Clock.After(wait):
			case <-le.ctx.Done():
			}
		}
		drain := drainTimeout
		if le.ctx.Err() != nil {
			drain = 0
		}
		stopAll(old.all(), drain)
	}()
}

func terminationWait(dc *DeploymentConfig) time.Duration {
	if dc == nil || dc.BlueGreenUpdatePolicy == nil || dc.BlueGreenUpdatePolicy.TerminationWaitInSeconds == nil {
		return 0
	}
	return time.Duration(*dc.BlueGreenUpdatePolicy.TerminationWaitInSeconds) * time.Second
}

// rescale applies UpdateEndpointWeightsAndCapacities: new weights at once, instances
// started or stopped to reach the desired counts.
func (m *fleetManager) rescale(ctx context.Context, le *liveEndpoint, doc *endpointDoc) error {
	table := le.route.Load()
	f := le.current
	if table == nil || f == nil {
		return nil
	}
	variants := desiredVariants(doc.Config, doc.ProductionVariants)
	entries := make([]routeEntry, 0, len(variants))
	var retired []*liveInstance
	var failure error
	for _, pv := range variants {
		lv := table.byName[pv.VariantName]
		if lv == nil {
			continue
		}
		want := pv.instanceCount()
		next := &liveVariant{name: lv.name, f: f, instances: lv.instances}
		switch {
		case want > len(lv.instances):
			added, err := m.addInstances(le, f, &pv, doc.Models[pv.ModelName], lv, want-len(lv.instances))
			if err != nil {
				failure = &variantError{variant: pv.VariantName, err: err}
			} else {
				next.instances = append(append([]*liveInstance(nil), lv.instances...), added...)
			}
		case want < len(lv.instances):
			next.instances = lv.instances[:want]
			retired = append(retired, lv.instances[want:]...)
		}
		entries = append(entries, routeEntry{v: next, weight: pv.weight()})
	}
	le.route.Store(newRouteTable(entries))
	if len(retired) > 0 {
		f.mu.Lock()
		keep := f.instances[:0]
		for _, in := range f.instances {
			if !contains(retired, in) {
				keep = append(keep, in)
			}
		}
		f.instances = keep
		f.mu.Unlock()
		stopAll(retired, drainTimeout)
	}
	return m.s.endpointUpdate(ctx, le.name, func(d *endpointDoc, now time.Time) error {
		d.EndpointStatus = endpointInService
		if failure != nil {
			d.FailureReason = endpointFailureReason(failure)
		}
		for i := range d.ProductionVariants {
			pv := &d.ProductionVariants[i]
			for _, e := range entries {
				if e.v.name == pv.VariantName {
					w, n := e.weight, len(e.v.instances)
					pv.CurrentWeight, pv.DesiredWeight, pv.CurrentInstanceCount, pv.DesiredInstanceCount = &w, &w, &n, pointer(n)
				}
			}
		}
		return nil
	})
}

// addInstances starts n more instances of a variant.
func (m *fleetManager) addInstances(le *liveEndpoint, f *fleet, pv *ProductionVariant, model *Model, lv *liveVariant, n int) ([]*liveInstance, error) {
	next := 0
	for _, in := range lv.instances {
		next = max(next, in.index)
	}
	var added []*liveInstance
	for i := range n {
		added = append(added, m.newInstance(le, f, pv, model, next+i+1))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(added))
	for i, in := range added {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = m.startInstance(le.ctx, in) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		stopAll(added, 0)
		f.mu.Lock()
		keep := f.instances[:0]
		for _, in := range f.instances {
			if !contains(added, in) {
				keep = append(keep, in)
			}
		}
		f.instances = keep
		f.mu.Unlock()
		for _, e := range errs {
			if e != nil {
				return nil, e
			}
		}
	}
	for _, in := range added {
		m.supervise(in)
	}
	return added, nil
}

func contains(ins []*liveInstance, x *liveInstance) bool {
	for _, in := range ins {
		if in == x {
			return true
		}
	}
	return false
}

func pointer[T any](v T) *T { return &v }

// desiredVariants is a configuration's variants with the weights and instance counts
// the endpoint has been given since (UpdateEndpointWeightsAndCapacities).
func desiredVariants(cfg *EndpointConfig, sums []ProductionVariantSummary) []ProductionVariant {
	out := append([]ProductionVariant(nil), cfg.ProductionVariants...)
	for i := range out {
		pv := &out[i]
		for _, s := range sums {
			if s.VariantName != pv.VariantName {
				continue
			}
			if s.DesiredWeight != nil {
				pv.InitialVariantWeight = pointer(*s.DesiredWeight)
			}
			if s.DesiredInstanceCount != nil && pv.ServerlessConfig == nil {
				pv.InitialInstanceCount = pointer(*s.DesiredInstanceCount)
			}
		}
	}
	return out
}

// teardown stops an endpoint's processes and deletes it (DeleteEndpoint).
func (m *fleetManager) teardown(name string) {
	le := m.remove(name)
	m.s.wg.Add(1)
	go func() {
		defer m.s.wg.Done()
		if le != nil {
			le.cancel()
			le.opMu.Lock()
			f := le.current
			le.current = nil
			le.route.Store(nil)
			le.opMu.Unlock()
			if f != nil {
				stopAll(f.all(), 0)
			}
		}
		if m.s.ctx.Err() != nil {
			return // the deletion is finished at the next start
		}
		err := m.s.cfg.Store.ResourceDelete(context.WithoutCancel(m.s.ctx), &store.ResourceDeleteParams{Kind: kindEndpoint, Name: name})
		if err != nil && !isNotFound(err) {
			m.s.log.Error("deleting an endpoint", "endpoint", name, "err", err)
		}
		m.s.notify(jobKey(kindEndpoint, name))
	}()
}

// endpointFailureReason is the FailureReason of a fleet that could not be brought up:
// SageMaker's sentence, then what stepwise saw and the end of the process's log.
func endpointFailureReason(err error) string {
	variant := ""
	var ve *variantError
	if errors.As(err, &ve) {
		variant = ve.variant
	}
	var se *servingError
	if errors.As(err, &se) {
		if se.Stage == servingPing {
			head := fmt.Sprintf("The primary container for production variant %s did not pass the ping health check. Please check CloudWatch logs for this endpoint. (stepwise: %s)", variant, se.Detail)
			return withTail(head, se.Tail, 1024)
		}
		return withTail(fmt.Sprintf("Failed to start production variant %s: %s", variant, se.Detail), se.Tail, 1024)
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		return truncate(ae.Message, 1024)
	}
	return truncate(err.Error(), 1024)
}

// withTail appends as much of the end of a log as fits in limit bytes.
func withTail(head, tail string, limit int) string {
	const sep = " Log tail:\n"
	tail = strings.TrimSpace(tail)
	room := limit - len(head) - len(sep)
	if tail == "" || room < 80 {
		return truncate(head, limit)
	}
	if len(tail) > room {
		tail = tail[len(tail)-room:]
		for len(tail) > 0 && !utf8.RuneStart(tail[0]) {
			tail = tail[1:]
		}
	}
	return head + sep + tail
}
