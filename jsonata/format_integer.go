package jsonata

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// $formatInteger and $parseInteger follow XPath F&O 3.1 fn:format-integer as
// jsonata-js implements it: decimal digit patterns (any Unicode decimal digit family,
// grouping separators, ordinals), letters (a, A), roman numerals (i, I) and English
// words (w, W, Ww).

const (
	fmtDecimal = iota
	fmtLetters
	fmtRoman
	fmtWords
	fmtSequence
)

const (
	caseLower = iota
	caseUpper
	caseTitle
)

type groupingSep struct {
	position int
	char     string
}

type integerFormat struct {
	primary         int
	tcase           int
	ordinal         bool
	zeroCode        rune
	mandatoryDigits int
	optionalDigits  int
	regular         bool
	regularSep      groupingSep
	separators      []groupingSep
	token           string
	parseWidth      int
}

var (
	fewWords      = []string{"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"}
	ordinalWords  = []string{"Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth", "Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"}
	decadeWords   = []string{"Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred"}
	magnitudeWord = []string{"Thousand", "Million", "Billion", "Trillion"}
)

// wordValueKeys lists the number words in jsonata-js's order (it matters for parsing).
var wordValueKeys, wordValues = func() ([]string, map[string]float64) {
	var keys []string
	vals := map[string]float64{}
	add := func(k string, v float64) {
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		vals[k] = v
	}
	for i, w := range fewWords {
		add(strings.ToLower(w), float64(i))
	}
	for i, w := range ordinalWords {
		add(strings.ToLower(w), float64(i))
	}
	for i, w := range decadeWords {
		lw := strings.ToLower(w)
		add(lw, float64((i+2)*10))
		add(lw[:len(lw)-1]+"ieth", float64((i+2)*10))
	}
	add("hundredth", 100)
	for i, w := range magnitudeWord {
		lw := strings.ToLower(w)
		v := math.Pow(10, float64((i+1)*3))
		add(lw, v)
		add(lw+"th", v)
	}
	return keys, vals
}()

func numberToWords(value float64, ordinal bool) string {
	var lookup func(num float64, prev, ord bool) string
	lookup = func(num float64, prev, ord bool) string {
		words := ""
		switch {
		case num <= 19:
			if prev {
				words = " and "
			}
			if ord {
				words += ordinalWords[int(num)]
			} else {
				words += fewWords[int(num)]
			}
		case num < 100:
			tens := int(num / 10)
			rem := math.Mod(num, 10)
			if prev {
				words = " and "
			}
			words += decadeWords[tens-2]
			if rem > 0 {
				words += "-" + lookup(rem, false, ord)
			} else if ord {
				words = words[:len(words)-1] + "ieth"
			}
		case num < 1000:
			hundreds := int(num / 100)
			rem := math.Mod(num, 100)
			if prev {
				words = ", "
			}
			words += fewWords[hundreds] + " Hundred"
			if rem > 0 {
				words += lookup(rem, true, ord)
			} else if ord {
				words += "th"
			}
		default:
			mag := int(math.Floor(math.Log10(num) / 3))
			if mag > len(magnitudeWord) {
				mag = len(magnitudeWord)
			}
			factor := math.Pow(10, float64(mag*3))
			mant := math.Floor(num / factor)
			rem := num - mant*factor
			if prev {
				words = ", "
			}
			words += lookup(mant, false, false) + " " + magnitudeWord[mag-1]
			if rem > 0 {
				words += lookup(rem, true, ord)
			} else if ord {
				words += "th"
			}
		}
		return words
	}
	return lookup(value, false, ordinal)
}

func wordsToNumber(text string) float64 {
	parts := wordSplit.Split(text, -1)
	segs := []float64{0}
	for _, p := range parts {
		v, ok := wordValues[p]
		if !ok {
			v = math.NaN()
		}
		if v < 100 {
			top := segs[len(segs)-1]
			segs = segs[:len(segs)-1]
			if top >= 1000 {
				segs = append(segs, top)
				top = 0
			}
			segs = append(segs, top+v)
		} else {
			top := segs[len(segs)-1]
			segs[len(segs)-1] = top * v
		}
	}
	total := 0.0
	for _, s := range segs {
		total += s
	}
	return total
}

var romanNumerals = []struct {
	value int
	s     string
}{{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"}, {40, "xl"}, {10, "x"}, {9, "ix"}, {5, "v"}, {4, "iv"}, {1, "i"}}

func decimalToRoman(value float64) string {
	var b strings.Builder
	v := int(value)
	for v > 0 {
		for _, r := range romanNumerals {
			if v >= r.value {
				b.WriteString(r.s)
				v -= r.value
				break
			}
		}
	}
	return b.String()
}

func romanToDecimal(roman string) float64 {
	values := map[byte]int{'M': 1000, 'D': 500, 'C': 100, 'L': 50, 'X': 10, 'V': 5, 'I': 1}
	decimal := 0
	maxV := 1
	for i := len(roman) - 1; i >= 0; i-- {
		v, ok := values[roman[i]]
		if !ok {
			return math.NaN()
		}
		if v < maxV {
			decimal -= v
		} else {
			maxV = v
			decimal += v
		}
	}
	return float64(decimal)
}

func decimalToLetters(value float64, a rune) string {
	var letters []rune
	// in floating point, as jsonata-js computes it (which matters above 2^53)
	for value > 0 {
		letters = append([]rune{rune(math.Mod(value-1, 26)) + a}, letters...)
		value = math.Floor((value - 1) / 26)
	}
	return string(letters)
}

func lettersToDecimal(letters string, a rune) float64 {
	d := 0.0
	rs := []rune(letters)
	for i := 0; i < len(rs); i++ {
		d += float64(rs[len(rs)-i-1]-a+1) * math.Pow(26, float64(i))
	}
	return d
}

// decimalGroups are the zero digits of Unicode's decimal digit families.
var decimalGroups = []rune{0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10}

func analyseIntegerPicture(picture string) (*integerFormat, *Error) {
	f := &integerFormat{primary: fmtDecimal, tcase: caseLower}
	primary := picture
	if semi := strings.LastIndexByte(picture, ';'); semi >= 0 {
		primary = picture[:semi]
		if strings.HasPrefix(picture[semi+1:], "o") {
			f.ordinal = true
		}
	}
	switch primary {
	case "A":
		f.tcase = caseUpper
		f.primary = fmtLetters
	case "a":
		f.primary = fmtLetters
	case "I":
		f.tcase = caseUpper
		f.primary = fmtRoman
	case "i":
		f.primary = fmtRoman
	case "W":
		f.tcase = caseUpper
		f.primary = fmtWords
	case "Ww":
		f.tcase = caseTitle
		f.primary = fmtWords
	case "w":
		f.primary = fmtWords
	default:
		zero := rune(-1)
		mandatory, optional, position := 0, 0, 0
		var seps []groupingSep
		rs := []rune(primary)
		for i := len(rs) - 1; i >= 0; i-- {
			cp := rs[i]
			digit := false
			for _, g := range decimalGroups {
				if cp >= g && cp <= g+9 {
					digit = true
					mandatory++
					position++
					if zero == -1 {
						zero = g
					} else if g != zero {
						return nil, newError("D3131")
					}
					break
				}
			}
			if !digit {
				if cp == '#' {
					position++
					optional++
				} else {
					seps = append(seps, groupingSep{position: position, char: string(cp)})
				}
			}
		}
		if mandatory > 0 {
			f.zeroCode = zero
			f.mandatoryDigits = mandatory
			f.optionalDigits = optional
			if r := regularSeparators(seps); r > 0 {
				f.regular = true
				f.regularSep = groupingSep{position: r, char: seps[0].char}
			} else {
				f.separators = seps
			}
		} else {
			f.primary = fmtSequence
			f.token = primary
		}
	}
	return f, nil
}

func regularSeparators(seps []groupingSep) int {
	if len(seps) == 0 {
		return 0
	}
	for _, s := range seps[1:] {
		if s.char != seps[0].char {
			return 0
		}
	}
	positions := make([]int, len(seps))
	for i, s := range seps {
		positions[i] = s.position
	}
	return regularInterval(positions)
}

// jsIntString is ”+value for an integer-valued number.
func jsIntString(v float64) string {
	return formatNumber(v)
}

func formatIntegerWith(value float64, f *integerFormat) (string, *Error) {
	if math.IsInf(value, 0) && f.primary != fmtDecimal || math.IsNaN(value) && f.primary == fmtWords {
		// jsonata-js never returns from these (it recurses or loops forever)
		return "", errValue("D3001", value)
	}
	if math.IsNaN(value) && (f.primary == fmtLetters || f.primary == fmtRoman) {
		return "", nil
	}
	if f.primary == fmtRoman && math.Abs(value) > 1e7 {
		return "", errTooLarge()
	}
	negative := value < 0
	value = math.Abs(value)
	var s string
	switch f.primary {
	case fmtLetters:
		a := 'a'
		if f.tcase == caseUpper {
			a = 'A'
		}
		s = decimalToLetters(value, a)
	case fmtRoman:
		s = decimalToRoman(value)
		if f.tcase == caseUpper {
			s = strings.ToUpper(s)
		}
	case fmtWords:
		s = numberToWords(value, f.ordinal)
		switch f.tcase {
		case caseUpper:
			s = strings.ToUpper(s)
		case caseLower:
			s = strings.ToLower(s)
		}
	case fmtDecimal:
		s = jsIntString(value)
		if pad := f.mandatoryDigits - utf8.RuneCountInString(s); pad > 0 {
			s = strings.Repeat("0", pad) + s
		}
		if f.zeroCode != '0' {
			rs := []rune(s)
			for i, r := range rs {
				rs[i] = r + f.zeroCode - '0'
			}
			s = string(rs)
		}
		rs := []rune(s)
		// s.substr(0, pos) + c + s.substr(pos), with substr's treatment of a
		// negative position (nothing before, the last -pos characters after)
		insert := func(pos int, c string) {
			var left, right []rune
			if pos < 0 {
				right = rs[max(len(rs)+pos, 0):]
			} else {
				pos = min(pos, len(rs))
				left, right = rs[:pos], rs[pos:]
			}
			out := append(append([]rune(nil), left...), []rune(c)...)
			rs = append(out, right...)
		}
		if f.regular {
			n := (len(rs) - 1) / f.regularSep.position
			for ii := n; ii > 0; ii-- {
				insert(len(rs)-ii*f.regularSep.position, f.regularSep.char)
			}
		} else {
			for i := len(f.separators) - 1; i >= 0; i-- {
				sep := f.separators[i]
				insert(len(rs)-sep.position, sep.char)
			}
		}
		s = string(rs)
		if f.ordinal {
			last := rs[len(rs)-1]
			suffix := map[rune]string{'1': "st", '2': "nd", '3': "rd"}[last]
			if suffix == "" || (len(rs) > 1 && rs[len(rs)-2] == '1') {
				suffix = "th"
			}
			s += suffix
		}
	case fmtSequence:
		return "", errValue("D3130", f.token)
	}
	if negative {
		s = "-" + s
	}
	return s, nil
}

func fnFormatInteger(ev *evaluator, c callCtx, args []any) (any, error) {
	v, ok := args[0].(float64)
	if !ok {
		return undefined, nil
	}
	picture, _ := arg(args, 1).(string)
	f, err := analyseIntegerPicture(picture)
	if err != nil {
		return nil, err
	}
	s, err := formatIntegerWith(math.Floor(v), f)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func fnParseInteger(ev *evaluator, c callCtx, args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	picture, _ := arg(args, 1).(string)
	f, err := analyseIntegerPicture(picture)
	if err != nil {
		return nil, err
	}
	m, err := integerMatcher(f)
	if err != nil {
		return nil, err
	}
	return m.parse(s), nil
}

type partMatcher struct {
	regex string
	parse func(string) float64
}

func integerMatcher(f *integerFormat) (*partMatcher, *Error) {
	upper := f.tcase == caseUpper
	switch f.primary {
	case fmtLetters:
		if upper {
			return &partMatcher{regex: "[A-Z]+", parse: func(s string) float64 { return lettersToDecimal(s, 'A') }}, nil
		}
		return &partMatcher{regex: "[a-z]+", parse: func(s string) float64 { return lettersToDecimal(s, 'a') }}, nil
	case fmtRoman:
		if upper {
			return &partMatcher{regex: "[MDCLXVI]+", parse: romanToDecimal}, nil
		}
		return &partMatcher{regex: "[mdclxvi]+", parse: func(s string) float64 { return romanToDecimal(strings.ToUpper(s)) }}, nil
	case fmtWords:
		alts := append(append([]string(nil), wordValueKeys...), "and", `[\-, ]`)
		return &partMatcher{regex: "(?:" + strings.Join(alts, "|") + ")+", parse: func(s string) float64 {
			return wordsToNumber(strings.ToLower(s))
		}}, nil
	case fmtDecimal:
		re := "[0-9]"
		if f.parseWidth > 0 {
			re += "{" + strconv.Itoa(f.parseWidth) + "}"
		} else {
			re += "+"
		}
		if f.ordinal {
			re += "(?:th|st|nd|rd)"
		}
		return &partMatcher{regex: re, parse: func(s string) float64 {
			digits := s
			if f.ordinal && len(digits) >= 2 {
				digits = digits[:len(digits)-2]
			}
			if f.regular {
				digits = strings.ReplaceAll(digits, ",", "")
			} else {
				for _, sep := range f.separators {
					digits = strings.ReplaceAll(digits, sep.char, "")
				}
			}
			if f.zeroCode != '0' {
				rs := []rune(digits)
				for i, r := range rs {
					rs[i] = r - f.zeroCode + '0'
				}
				digits = string(rs)
			}
			n, ok := parseLeadingInt(digits)
			if !ok {
				return math.NaN()
			}
			return float64(n)
		}}, nil
	}
	return nil, errValue("D3130", f.token)
}
