package gitrepository

import (
	"testing"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

func TestCheckoutChanged(t *testing.T) {
	tests := map[string]struct {
		sparse, observedSparse []string
		recurse, observed      bool
		want                   bool
	}{
		"nothing set":             {},
		"same sparse":             {sparse: []string{"a", "b"}, observedSparse: []string{"a", "b"}},
		"sparse added":            {sparse: []string{"a"}, want: true},
		"sparse removed":          {observedSparse: []string{"a"}, want: true},
		"sparse reordered":        {sparse: []string{"b", "a"}, observedSparse: []string{"a", "b"}, want: true},
		"submodules turned on":    {recurse: true, want: true},
		"submodules turned off":   {observed: true, want: true},
		"submodules still on":     {recurse: true, observed: true},
		"empty and nil are equal": {sparse: []string{}, observedSparse: nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			obj := &sourcev1.GitRepository{}
			obj.Spec.SparseCheckout, obj.Status.ObservedSparseCheckout = tt.sparse, tt.observedSparse
			obj.Spec.RecurseSubmodules, obj.Status.ObservedRecurseSubmodules = tt.recurse, tt.observed
			if got := checkoutChanged(obj); got != tt.want {
				t.Errorf("checkoutChanged = %v, want %v", got, tt.want)
			}
			recordCheckout(obj)
			if checkoutChanged(obj) {
				t.Error("checkoutChanged after recordCheckout")
			}
		})
	}
}
