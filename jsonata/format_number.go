package jsonata

import (
	"math"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/jsonv"
)

// $formatNumber follows the XPath/XQuery F&O 3.1 fn:format-number rules as jsonata-js
// implements them (including its treatment of prefix and suffix characters). Picture
// strings are handled as sequences of characters.

type decimalFormat struct {
	decimalSep, groupingSep, exponentSep, percent, perMille, zeroDigit, digit, patternSep rune
	minusSign, infinity, nan                                                              string
}

func runeProp(o *jsonv.Object, key string, def rune) rune {
	if o != nil {
		if v, ok := o.Get(key); ok {
			if s, ok := v.(string); ok && s != "" {
				return []rune(s)[0]
			}
		}
	}
	return def
}

func strProp(o *jsonv.Object, key string, def string) string {
	if o != nil {
		if v, ok := o.Get(key); ok {
			if s, ok := v.(string); ok {
				return s
			}
		}
	}
	return def
}

type pictureParts struct {
	prefix, suffix, active, mantissa, exponent, integer, fractional []rune
	hasExponent                                                     bool
	sub                                                             []rune
}

type pictureVars struct {
	groupingPositions   []int
	regularGrouping     int
	minIntegerSize      int
	scalingFactor       int
	prefix, suffix      string
	fractionalPositions []int
	minFractionalSize   int
	maxFractionalSize   int
	minExponentSize     int
	picture             []rune
}

func runeIndex(s []rune, c rune, from int) int {
	for i := max(from, 0); i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func runeLastIndex(s []rune, c rune) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func runeSub(s []rune, start, end int) []rune {
	start = max(0, min(start, len(s)))
	end = max(start, min(end, len(s)))
	return s[start:end]
}

func fnFormatNumber(ev *evaluator, c callCtx, args []any) (any, error) {
	value, ok := args[0].(float64)
	if !ok {
		return undefined, nil
	}
	picture, _ := arg(args, 1).(string)
	opts, _ := arg(args, 2).(*jsonv.Object)
	f := decimalFormat{
		decimalSep:  runeProp(opts, "decimal-separator", '.'),
		groupingSep: runeProp(opts, "grouping-separator", ','),
		exponentSep: runeProp(opts, "exponent-separator", 'e'),
		percent:     runeProp(opts, "percent", '%'),
		perMille:    runeProp(opts, "per-mille", '\u2030'),
		zeroDigit:   runeProp(opts, "zero-digit", '0'),
		digit:       runeProp(opts, "digit", '#'),
		patternSep:  runeProp(opts, "pattern-separator", ';'),
		minusSign:   strProp(opts, "minus-sign", "-"),
		infinity:    strProp(opts, "infinity", "Infinity"),
		nan:         strProp(opts, "NaN", "NaN"),
	}
	isDigit := func(c rune) bool { return c >= f.zeroDigit && c <= f.zeroDigit+9 }
	isActive := func(c rune) bool {
		return isDigit(c) || c == f.decimalSep || c == f.exponentSep || c == f.groupingSep || c == f.digit || c == f.patternSep
	}

	var subPictures [][]rune
	pr := []rune(picture)
	start := 0
	for i, ch := range pr {
		if ch == f.patternSep {
			subPictures = append(subPictures, pr[start:i])
			start = i + 1
		}
	}
	subPictures = append(subPictures, pr[start:])
	if len(subPictures) > 2 {
		return nil, newError("D3080")
	}

	split := func(sub []rune) pictureParts {
		p := pictureParts{sub: sub}
		for i, ch := range sub {
			if isActive(ch) && ch != f.exponentSep {
				p.prefix = sub[:i]
				break
			}
		}
		for i := len(sub) - 1; i >= 0; i-- {
			if isActive(sub[i]) && sub[i] != f.exponentSep {
				p.suffix = sub[i+1:]
				break
			}
		}
		p.active = runeSub(sub, len(p.prefix), len(sub)-len(p.suffix))
		expPos := runeIndex(sub, f.exponentSep, len(p.prefix))
		if expPos == -1 || expPos > len(sub)-len(p.suffix) {
			p.mantissa = p.active
		} else {
			// jsonata-js indexes the active part with the position in the sub-picture
			p.mantissa = runeSub(p.active, 0, expPos)
			p.exponent = runeSub(p.active, expPos+1, len(p.active))
			p.hasExponent = true
		}
		dp := runeIndex(p.mantissa, f.decimalSep, 0)
		if dp == -1 {
			p.integer = p.mantissa
			p.fractional = p.suffix
		} else {
			p.integer = p.mantissa[:dp]
			p.fractional = p.mantissa[dp+1:]
		}
		return p
	}

	validate := func(p pictureParts) error {
		code := ""
		sub := p.sub
		dp := runeIndex(sub, f.decimalSep, 0)
		if dp != runeLastIndex(sub, f.decimalSep) {
			code = "D3081"
		}
		if runeIndex(sub, f.percent, 0) != runeLastIndex(sub, f.percent) {
			code = "D3082"
		}
		if runeIndex(sub, f.perMille, 0) != runeLastIndex(sub, f.perMille) {
			code = "D3083"
		}
		if runeIndex(sub, f.percent, 0) != -1 && runeIndex(sub, f.perMille, 0) != -1 {
			code = "D3084"
		}
		valid := false
		for _, ch := range p.mantissa {
			if isDigit(ch) || ch == f.digit {
				valid = true
				break
			}
		}
		if !valid {
			code = "D3085"
		}
		for _, ch := range p.active {
			if !isActive(ch) {
				code = "D3086"
				break
			}
		}
		if dp != -1 {
			if (dp > 0 && sub[dp-1] == f.groupingSep) || (dp+1 < len(sub) && sub[dp+1] == f.groupingSep) {
				code = "D3087"
			}
		} else if len(p.integer) > 0 && p.integer[len(p.integer)-1] == f.groupingSep {
			code = "D3088"
		}
		for i := 0; i+1 < len(sub); i++ {
			if sub[i] == f.groupingSep && sub[i+1] == f.groupingSep {
				code = "D3089"
				break
			}
		}
		if od := runeIndex(p.integer, f.digit, 0); od != -1 {
			for _, ch := range p.integer[:od] {
				if isDigit(ch) {
					code = "D3090"
					break
				}
			}
		}
		if od := runeLastIndex(p.fractional, f.digit); od != -1 {
			for _, ch := range p.fractional[od:] {
				if isDigit(ch) {
					code = "D3091"
					break
				}
			}
		}
		if p.hasExponent && len(p.exponent) > 0 && (runeIndex(sub, f.percent, 0) != -1 || runeIndex(sub, f.perMille, 0) != -1) {
			code = "D3092"
		}
		if p.hasExponent {
			bad := len(p.exponent) == 0
			for _, ch := range p.exponent {
				if !isDigit(ch) {
					bad = true
				}
			}
			if bad {
				code = "D3093"
			}
		}
		if code != "" {
			return newError(code)
		}
		return nil
	}

	groupingPositions := func(part []rune, toLeft bool, integer []rune) []int {
		var positions []int
		gp := runeIndex(part, f.groupingSep, 0)
		for gp != -1 {
			var seg []rune
			if toLeft {
				seg = runeSub(part, 0, gp)
			} else {
				seg = runeSub(part, gp, len(part))
			}
			n := 0
			for _, ch := range seg {
				if isDigit(ch) || ch == f.digit {
					n++
				}
			}
			positions = append(positions, n)
			// jsonata-js continues the search in the integer part
			gp = runeIndex(integer, f.groupingSep, gp+1)
		}
		return positions
	}

	analyse := func(p pictureParts) pictureVars {
		v := pictureVars{prefix: string(p.prefix), suffix: string(p.suffix), picture: p.sub}
		v.groupingPositions = groupingPositions(p.integer, false, p.integer)
		v.regularGrouping = regularInterval(v.groupingPositions)
		v.fractionalPositions = groupingPositions(p.fractional, true, p.integer)
		for _, ch := range p.integer {
			if isDigit(ch) {
				v.minIntegerSize++
			}
		}
		v.scalingFactor = v.minIntegerSize
		for _, ch := range p.fractional {
			if isDigit(ch) {
				v.minFractionalSize++
			}
			if isDigit(ch) || ch == f.digit {
				v.maxFractionalSize++
			}
		}
		if v.minIntegerSize == 0 && v.maxFractionalSize == 0 {
			if p.hasExponent {
				v.minFractionalSize = 1
				v.maxFractionalSize = 1
			} else {
				v.minIntegerSize = 1
			}
		}
		if p.hasExponent && v.minIntegerSize == 0 && runeIndex(p.integer, f.digit, 0) != -1 {
			v.minIntegerSize = 1
		}
		if v.minIntegerSize == 0 && v.minFractionalSize == 0 {
			v.minFractionalSize = 1
		}
		if p.hasExponent {
			for _, ch := range p.exponent {
				if isDigit(ch) {
					v.minExponentSize++
				}
			}
		}
		return v
	}

	var vars []pictureVars
	for _, sp := range subPictures {
		p := split(sp)
		if err := validate(p); err != nil {
			return nil, err
		}
		vars = append(vars, analyse(p))
	}
	if len(vars) == 1 {
		neg := vars[0]
		neg.prefix = f.minusSign + neg.prefix
		vars = append(vars, neg)
	}
	pic := vars[0]
	if !(value >= 0) {
		pic = vars[1]
	}
	// jsonata-js formats NaN and infinities as it would any number (giving text such
	// as "-NaN.00"), except that it never returns for an infinite value with an
	// exponent picture; that case follows F&O 4.7.5 bullet 4 instead.
	if math.IsInf(value, 0) && pic.minExponentSize != 0 {
		return pic.prefix + f.infinity + pic.suffix, nil
	}
	adjusted := value
	if runeIndex(pic.picture, f.percent, 0) != -1 {
		adjusted = value * 100
	} else if runeIndex(pic.picture, f.perMille, 0) != -1 {
		adjusted = value * 1000
	}
	mantissa := adjusted
	exponent := 0
	hasExponent := pic.minExponentSize != 0
	if hasExponent {
		maxMantissa := math.Pow(10, float64(pic.scalingFactor))
		minMantissa := math.Pow(10, float64(pic.scalingFactor-1))
		if mantissa != 0 {
			for math.Abs(mantissa) < minMantissa {
				mantissa *= 10
				exponent--
			}
			for math.Abs(mantissa) > maxMantissa {
				mantissa /= 10
				exponent++
			}
		}
	}
	rounded := roundHalfEven(mantissa, pic.maxFractionalSize)
	digitMap := func(s string) string {
		if f.zeroDigit == '0' {
			return s
		}
		rs := []rune(s)
		for i, ch := range rs {
			if ch >= '0' && ch <= '9' {
				rs[i] = f.zeroDigit + (ch - '0')
			}
		}
		return string(rs)
	}
	makeString := func(v float64, dp int) string {
		v = math.Abs(v)
		if v >= 1e21 || v != v {
			// Number.prototype.toFixed switches to exponential notation here
			return digitMap(formatNumber(v))
		}
		return digitMap(strconv.FormatFloat(v, 'f', dp, 64))
	}
	sv := []rune(makeString(rounded, pic.maxFractionalSize))
	if dot := runeIndex(sv, '.', 0); dot == -1 {
		sv = append(sv, f.decimalSep)
	} else {
		sv[dot] = f.decimalSep
	}
	for len(sv) > 0 && sv[0] == f.zeroDigit {
		sv = sv[1:]
	}
	for len(sv) > 0 && sv[len(sv)-1] == f.zeroDigit {
		sv = sv[:len(sv)-1]
	}
	dp := runeIndex(sv, f.decimalSep, 0)
	padLeft := pic.minIntegerSize - dp
	padRight := pic.minFractionalSize - (len(sv) - dp - 1)
	if padLeft > 0 {
		sv = append([]rune(strings.Repeat(string(f.zeroDigit), padLeft)), sv...)
	}
	if padRight > 0 {
		sv = append(sv, []rune(strings.Repeat(string(f.zeroDigit), padRight))...)
	}
	dp = runeIndex(sv, f.decimalSep, 0)
	// s.slice(0, at) + c + s.slice(at): a negative position counts from the end
	insert := func(s []rune, at int, c rune) []rune {
		if at < 0 {
			at += len(s)
		}
		at = max(0, min(at, len(s)))
		out := make([]rune, 0, len(s)+1)
		out = append(out, s[:at]...)
		out = append(out, c)
		return append(out, s[at:]...)
	}
	if pic.regularGrouping > 0 {
		groups := (dp - 1) / pic.regularGrouping
		for g := 1; g <= groups; g++ {
			sv = insert(sv, dp-g*pic.regularGrouping, f.groupingSep)
		}
	} else {
		for _, pos := range pic.groupingPositions {
			sv = insert(sv, dp-pos, f.groupingSep)
			dp++
		}
	}
	dp = runeIndex(sv, f.decimalSep, 0)
	for _, pos := range pic.fractionalPositions {
		sv = insert(sv, pos+dp+1, f.groupingSep)
	}
	dp = runeIndex(sv, f.decimalSep, 0)
	if runeIndex(pic.picture, f.decimalSep, 0) == -1 || dp == len(sv)-1 {
		sv = sv[:len(sv)-1]
	}
	out := string(sv)
	if hasExponent {
		se := makeString(float64(exponent), 0)
		if pl := pic.minExponentSize - len([]rune(se)); pl > 0 {
			se = strings.Repeat(string(f.zeroDigit), pl) + se
		}
		sign := ""
		if exponent < 0 {
			sign = f.minusSign
		}
		out = out + string(f.exponentSep) + sign + se
	}
	return pic.prefix + out + pic.suffix, nil
}

// regularInterval returns the common interval of grouping positions if they are
// evenly spaced (every multiple present), or 0.
func regularInterval(positions []int) int {
	if len(positions) == 0 {
		return 0
	}
	gcd := func(a, b int) int {
		for b != 0 {
			a, b = b, a%b
		}
		return a
	}
	factor := positions[0]
	for _, p := range positions[1:] {
		factor = gcd(factor, p)
	}
	if factor == 0 {
		return 0
	}
	for i := 1; i <= len(positions); i++ {
		found := false
		for _, p := range positions {
			if p == i*factor {
				found = true
				break
			}
		}
		if !found {
			return 0
		}
	}
	return factor
}
