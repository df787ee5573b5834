// Package sampledata makes the data sets the seed walkthroughs download from the
// internet (which stepwise's tests, demo and benchmarks cannot reach), with the same
// shape, so the seeds' own scripts run on them unchanged.
package sampledata

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
)

// HousingColumns are the California housing set's features, then its target.
var HousingColumns = []string{"MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude", "target"}

// Housing returns n rows shaped like scikit-learn's California housing set as the seed
// writes it (a header, 8 features, then "target"), with a target that depends on the
// features the way house prices do (mostly income), plus noise. The same seed gives the
// same rows.
func Housing(n int, seed uint64) []byte {
	return housing(n, seed, true, false)
}

// HousingLabelFirst is Housing as SageMaker's built-in XGBoost wants CSV: no header,
// the target in the first column.
func HousingLabelFirst(n int, seed uint64) []byte {
	return housing(n, seed, false, true)
}

func housing(n int, seed uint64, header, labelFirst bool) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	var b bytes.Buffer
	if header {
		for i, c := range HousingColumns {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(c)
		}
		b.WriteByte('\n')
	}
	for range n {
		inc := 0.5 + r.Float64()*10
		age := 1 + r.Float64()*51
		rooms := 2 + r.Float64()*6
		bed := 0.8 + r.Float64()*0.6
		pop := 100 + r.Float64()*3000
		occ := 1.5 + r.Float64()*3
		lat := 32.5 + r.Float64()*9
		lon := -124.3 + r.Float64()*10
		y := 0.45*inc + 0.01*age + 0.1*rooms - 0.2*occ + 0.3*math.Sin(lat) + r.NormFloat64()*0.2
		features := fmt.Sprintf("%.4f,%.1f,%.4f,%.4f,%.0f,%.4f,%.2f,%.2f", inc, age, rooms, bed, pop, occ, lat, lon)
		if labelFirst {
			fmt.Fprintf(&b, "%.5f,%s\n", y, features)
		} else {
			fmt.Fprintf(&b, "%s,%.5f\n", features, y)
		}
	}
	return b.Bytes()
}
