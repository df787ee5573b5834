package engine

import (
	"context"

	"github.com/stepwise-dev/stepwise/asl"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// runJSONata runs a state of a JSONata machine.
func (r *stateRun) runJSONata(ctx context.Context) (any, string, *jsonv.Object, *Failure) {
	_ = ctx
	return nil, "", nil, r.runtime("JSONata states are not supported yet")
}

func (r *stateRun) evalJSONataField(t *asl.Template, field string, doc any) (any, *Failure) {
	return nil, r.runtime("JSONata expressions are not supported yet")
}

func (r *stateRun) catchJSONata(c *asl.Catcher, eo *jsonv.Object) (any, string, *jsonv.Object, *Failure) {
	return nil, "", nil, r.runtime("JSONata states are not supported yet")
}
