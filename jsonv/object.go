// Package jsonv is the JSON value model shared by the ASL engine, JSONPath, intrinsic
// functions and JSONata. A value is one of: nil (null), bool, float64, string, []any,
// or *Object. Objects keep their keys in insertion order, as AWS Step Functions (Jackson)
// and JSONata (JavaScript) do, so serialised outputs and error messages match theirs.
package jsonv

// smallObject is the size up to which lookups scan the key slice instead of an index.
const smallObject = 8

// Object is a JSON object that remembers the order its keys were first set in.
// The zero value is an empty object ready to use.
type Object struct {
	keys []string
	vals []any
	idx  map[string]int // built once the object grows past smallObject keys
}

// NewObject returns an empty object with room for n keys.
func NewObject(n int) *Object {
	return &Object{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

// ObjectOf builds an object from alternating key, value arguments.
func ObjectOf(kv ...any) *Object {
	o := NewObject(len(kv) / 2)
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

// Len is the number of keys.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

func (o *Object) find(k string) int {
	if o == nil {
		return -1
	}
	if o.idx != nil {
		if i, ok := o.idx[k]; ok {
			return i
		}
		return -1
	}
	for i, kk := range o.keys {
		if kk == k {
			return i
		}
	}
	return -1
}

// Get returns the value under k and whether it was present.
func (o *Object) Get(k string) (any, bool) {
	i := o.find(k)
	if i < 0 {
		return nil, false
	}
	return o.vals[i], true
}

// Has reports whether k is present.
func (o *Object) Has(k string) bool { return o.find(k) >= 0 }

// Set stores v under k, keeping k's position if it was already present.
func (o *Object) Set(k string, v any) {
	if i := o.find(k); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	if o.idx != nil {
		o.idx[k] = len(o.keys) - 1
	} else if len(o.keys) > smallObject {
		o.idx = make(map[string]int, len(o.keys)*2)
		for i, kk := range o.keys {
			o.idx[kk] = i
		}
	}
}

// Delete removes k, keeping the order of the other keys.
func (o *Object) Delete(k string) {
	i := o.find(k)
	if i < 0 {
		return
	}
	o.keys = append(o.keys[:i], o.keys[i+1:]...)
	o.vals = append(o.vals[:i], o.vals[i+1:]...)
	if o.idx != nil {
		delete(o.idx, k)
		for j := i; j < len(o.keys); j++ {
			o.idx[o.keys[j]] = j
		}
	}
}

// Keys returns the keys in order. The slice must not be modified.
func (o *Object) Keys() []string {
	if o == nil {
		return nil
	}
	return o.keys
}

// Values returns the values in key order. The slice must not be modified.
func (o *Object) Values() []any {
	if o == nil {
		return nil
	}
	return o.vals
}

// Range calls f for each key in order until f returns false.
func (o *Object) Range(f func(k string, v any) bool) {
	if o == nil {
		return
	}
	for i, k := range o.keys {
		if !f(k, o.vals[i]) {
			return
		}
	}
}

// Clone returns a shallow copy.
func (o *Object) Clone() *Object {
	if o == nil {
		return NewObject(0)
	}
	c := &Object{keys: append([]string(nil), o.keys...), vals: append([]any(nil), o.vals...)}
	if o.idx != nil {
		c.idx = make(map[string]int, len(o.idx))
		for k, v := range o.idx {
			c.idx[k] = v
		}
	}
	return c
}

// DeepCopy copies v and everything inside it.
func DeepCopy(v any) any {
	switch t := v.(type) {
	case *Object:
		c := NewObject(t.Len())
		for i, k := range t.keys {
			c.Set(k, DeepCopy(t.vals[i]))
		}
		return c
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = DeepCopy(e)
		}
		return c
	default:
		return v
	}
}

// EqualScalar compares a with b when a is null, a boolean, a number or a string: scalar
// reports whether it was one, equal whether b is the same value of the same type.
func EqualScalar(a, b any) (equal, scalar bool) {
	switch x := a.(type) {
	case nil:
		return b == nil, true
	case bool:
		y, ok := b.(bool)
		return ok && x == y, true
	case float64:
		y, ok := b.(float64)
		return ok && x == y, true
	case string:
		y, ok := b.(string)
		return ok && x == y, true
	}
	return false, false
}

// Equal reports deep equality; object key order is ignored.
func Equal(a, b any) bool {
	if eq, ok := EqualScalar(a, b); ok {
		return eq
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i, k := range x.keys {
			w, ok := y.Get(k)
			if !ok || !Equal(x.vals[i], w) {
				return false
			}
		}
		return true
	}
	return false
}

// FromGo converts values built from Go maps and numeric types (as encoding/json or
// hand-written test data produce) into jsonv values. Map keys are sorted.
func FromGo(v any) any {
	switch t := v.(type) {
	case nil, bool, string, float64, *Object:
		return t
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case int32:
		return float64(t)
	case uint64:
		return float64(t)
	case float32:
		return float64(t)
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = FromGo(e)
		}
		return c
	case []string:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = e
		}
		return c
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sortStrings(keys)
		o := NewObject(len(keys))
		for _, k := range keys {
			o.Set(k, FromGo(t[k]))
		}
		return o
	}
	return v
}

// ToGo converts a jsonv value into plain Go maps and slices (for encoding/json users).
func ToGo(v any) any {
	switch t := v.(type) {
	case *Object:
		m := make(map[string]any, t.Len())
		for i, k := range t.keys {
			m[k] = ToGo(t.vals[i])
		}
		return m
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = ToGo(e)
		}
		return c
	}
	return v
}

// TypeName names v's JSON type: null, boolean, number, string, array or object.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case *Object:
		return "object"
	}
	return "unknown"
}
