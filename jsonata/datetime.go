package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// $fromMillis, $toMillis and $now format and parse timestamps with XPath F&O 3.1
// fn:format-dateTime picture strings, as jsonata-js does (all in UTC plus an optional
// fixed offset).

var wordSplit = regexp.MustCompile(`,\s|\sand\s|[\s\\-]`)

type dtPart struct {
	literal   bool
	value     string // literal text
	component byte
	pres1     string
	pres2     string
	hasPres2  bool
	ordinal   bool
	names     int // -1 none, else caseLower/caseUpper/caseTitle
	width     *dtWidth
	intFmt    *integerFormat
	n         int // year digits to keep (-1 all)
}

type dtWidth struct {
	min, max       int
	hasMin, hasMax bool
}

var defaultPresentation = map[byte]string{
	'Y': "1", 'M': "1", 'D': "1", 'd': "1", 'F': "n", 'W': "1", 'w': "1", 'X': "1", 'x': "1", 'H': "1", 'h': "1",
	'P': "n", 'm': "01", 's': "01", 'f': "1", 'Z': "01:01", 'z': "01:01", 'C': "n", 'E': "n",
}

var spaceRun = regexp.MustCompile(`\s+`)

func analyseDateTimePicture(picture string) ([]*dtPart, *Error) {
	var spec []*dtPart
	addLiteral := func(start, end int) {
		if end > start {
			lit := strings.ReplaceAll(picture[start:end], "]]", "]")
			spec = append(spec, &dtPart{literal: true, value: lit})
		}
	}
	start, pos := 0, 0
	for pos < len(picture) {
		if picture[pos] != '[' {
			pos++
			continue
		}
		if pos+1 < len(picture) && picture[pos+1] == '[' {
			addLiteral(start, pos)
			spec = append(spec, &dtPart{literal: true, value: "["})
			pos += 2
			start = pos
			continue
		}
		addLiteral(start, pos)
		start = pos
		end := strings.IndexByte(picture[start:], ']')
		if end < 0 {
			return nil, newError("D3135")
		}
		pos = start + end
		marker := spaceRun.ReplaceAllString(picture[start+1:pos], "")
		def := &dtPart{names: -1}
		if marker != "" {
			def.component = marker[0]
		}
		var presMod string
		if comma := strings.LastIndexByte(marker, ','); comma >= 0 {
			widthMod := marker[comma+1:]
			w := &dtWidth{}
			parseW := func(s string) (int, bool) {
				if s == "" || s == "*" {
					return 0, false
				}
				n, ok := parseLeadingInt(s)
				return n, ok
			}
			if dash := strings.IndexByte(widthMod, '-'); dash < 0 {
				w.min, w.hasMin = parseW(widthMod)
			} else {
				w.min, w.hasMin = parseW(widthMod[:dash])
				w.max, w.hasMax = parseW(widthMod[dash+1:])
			}
			def.width = w
			presMod = jsSubstring(marker, 1, comma)
		} else if len(marker) > 0 {
			presMod = marker[1:]
		}
		switch {
		case len(presMod) == 1:
			def.pres1 = presMod
		case len(presMod) > 1:
			last := presMod[len(presMod)-1]
			if strings.IndexByte("atco", last) >= 0 {
				def.pres2, def.hasPres2 = string(last), true
				if last == 'o' {
					def.ordinal = true
				}
				def.pres1 = presMod[:len(presMod)-1]
			} else {
				def.pres1 = presMod
			}
		default:
			p, ok := defaultPresentation[def.component]
			if !ok {
				e := errValue("D3132", string(def.component))
				return nil, e
			}
			def.pres1 = p
		}
		if def.pres1 == "" {
			return nil, errValue("D3132", string(def.component))
		}
		switch {
		case def.pres1[0] == 'n':
			def.names = caseLower
		case def.pres1[0] == 'N':
			if len(def.pres1) > 1 && def.pres1[1] == 'n' {
				def.names = caseTitle
			} else {
				def.names = caseUpper
			}
		case strings.IndexByte("YMDdFWwXxHhmsf", def.component) >= 0:
			pattern := def.pres1
			if def.hasPres2 {
				pattern += ";" + def.pres2
			}
			f, err := analyseIntegerPicture(pattern)
			if err != nil {
				return nil, err
			}
			def.intFmt = f
			if def.width != nil && def.width.hasMin && f.mandatoryDigits < def.width.min {
				f.mandatoryDigits = def.width.min
			}
			if def.component == 'Y' {
				def.n = -1
				if def.width != nil && def.width.hasMax {
					def.n = def.width.max
					f.mandatoryDigits = def.n
				} else if w := f.mandatoryDigits + f.optionalDigits; w >= 2 {
					def.n = w
				}
			}
			if len(spec) > 0 {
				if prev := spec[len(spec)-1]; prev.intFmt != nil {
					prev.intFmt.parseWidth = prev.intFmt.mandatoryDigits
				}
			}
		}
		if def.component == 'Z' || def.component == 'z' {
			f, err := analyseIntegerPicture(def.pres1)
			if err != nil {
				return nil, err
			}
			def.intFmt = f
		}
		spec = append(spec, def)
		start = pos + 1
		pos++
	}
	addLiteral(start, pos)
	return spec, nil
}

var (
	dayNames   = []string{"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

const millisInADay = 86400000.0

// dateUTC is JavaScript's Date.UTC (years 0-99 mean 1900-1999).
func dateUTC(y, mon, d, h, mi, s, ms float64) float64 {
	for _, v := range []float64{y, mon, d, h, mi, s, ms} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return math.NaN()
		}
	}
	y, mon, d, h, mi, s, ms = math.Trunc(y), math.Trunc(mon), math.Trunc(d), math.Trunc(h), math.Trunc(mi), math.Trunc(s), math.Trunc(ms)
	if y >= 0 && y <= 99 {
		y += 1900
	}
	ym := y + math.Floor(mon/12)
	mn := math.Mod(mon, 12)
	if mn < 0 {
		mn += 12
	}
	t := time.Date(int(ym), time.Month(int(mn)+1), 1, 0, 0, 0, 0, time.UTC)
	day := float64(t.UnixMilli())/millisInADay + d - 1
	return day*millisInADay + h*3600000 + mi*60000 + s*1000 + ms
}

func utcTime(ms float64) time.Time { return time.UnixMilli(int64(ms)).UTC() }

func startOfFirstWeek(year, month int) float64 {
	jan1 := dateUTC(float64(year), float64(month), 1, 0, 0, 0, 0)
	dow := int(utcTime(jan1).Weekday())
	if dow == 0 {
		dow = 7
	}
	if dow > 4 {
		return jan1 + float64(8-dow)*millisInADay
	}
	return jan1 - float64(dow-1)*millisInADay
}

func nextMonth(y, m int) (int, int) {
	if m == 11 {
		return y + 1, 0
	}
	return y, m + 1
}

func prevMonth(y, m int) (int, int) {
	if m == 0 {
		return y - 1, 11
	}
	return y, m - 1
}

func deltaWeeks(start, end float64) float64 { return (end-start)/(millisInADay*7) + 1 }

// dateFragment returns a component of the date: a number, or a string for P, C, E.
// Outside JavaScript's date range (or for NaN) the numbers are NaN, as the getters
// of an invalid JavaScript Date return.
func dateFragment(ms float64, component byte) any {
	if math.IsNaN(ms) || math.Abs(ms) > 8.64e15 {
		switch component {
		case 'P':
			return "am"
		case 'C', 'E':
			return "ISO"
		}
		return math.NaN()
	}
	d := utcTime(ms)
	year, month, day := d.Year(), int(d.Month())-1, d.Day()
	switch component {
	case 'Y':
		return float64(year)
	case 'M':
		return float64(month + 1)
	case 'D':
		return float64(day)
	case 'd':
		today := dateUTC(float64(year), float64(month), float64(day), 0, 0, 0, 0)
		first := dateUTC(float64(year), 0, 1, 0, 0, 0, 0)
		return (today-first)/millisInADay + 1
	case 'F':
		wd := int(d.Weekday())
		if wd == 0 {
			wd = 7
		}
		return float64(wd)
	case 'W':
		start := startOfFirstWeek(year, 0)
		today := dateUTC(float64(year), float64(month), float64(day), 0, 0, 0, 0)
		week := deltaWeeks(start, today)
		if week > 52 {
			if today >= startOfFirstWeek(year+1, 0) {
				week = 1
			}
		} else if week < 1 {
			week = deltaWeeks(startOfFirstWeek(year-1, 0), today)
		}
		return math.Floor(week)
	case 'w':
		start := startOfFirstWeek(year, month)
		today := dateUTC(float64(year), float64(month), float64(day), 0, 0, 0, 0)
		week := deltaWeeks(start, today)
		if week > 4 {
			ny, nm := nextMonth(year, month)
			if today >= startOfFirstWeek(ny, nm) {
				week = 1
			}
		} else if week < 1 {
			py, pm := prevMonth(year, month)
			week = deltaWeeks(startOfFirstWeek(py, pm), today)
		}
		return math.Floor(week)
	case 'X':
		start := startOfFirstWeek(year, 0)
		end := startOfFirstWeek(year+1, 0)
		switch {
		case ms < start:
			return float64(year - 1)
		case ms >= end:
			return float64(year + 1)
		}
		return float64(year)
	case 'x':
		start := startOfFirstWeek(year, month)
		ny, nm := nextMonth(year, month)
		end := startOfFirstWeek(ny, nm)
		switch {
		case ms < start:
			_, pm := prevMonth(year, month)
			return float64(pm + 1)
		case ms >= end:
			return float64(nm + 1)
		}
		return float64(month + 1)
	case 'H':
		return float64(d.Hour())
	case 'h':
		h := d.Hour() % 12
		if h == 0 {
			h = 12
		}
		return float64(h)
	case 'P':
		if d.Hour() >= 12 {
			return "pm"
		}
		return "am"
	case 'm':
		return float64(d.Minute())
	case 's':
		return float64(d.Second())
	case 'f':
		return float64(d.Nanosecond() / 1e6)
	case 'C', 'E':
		return "ISO"
	}
	return undefined
}

var (
	iso8601Once sync.Once
	iso8601Spec []*dtPart
)

func formatDateTime(millis float64, picture string, hasPicture bool, timezone string, hasTZ bool) (string, error) {
	offsetHours, offsetMinutes := 0.0, 0.0
	if hasTZ {
		offset := float64(parseIntJS(timezone))
		offsetHours = math.Floor(offset / 100)
		offsetMinutes = math.Mod(offset, 100)
	}
	var spec []*dtPart
	if !hasPicture {
		iso8601Once.Do(func() {
			iso8601Spec, _ = analyseDateTimePicture("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]")
		})
		spec = iso8601Spec
	} else {
		var err *Error
		if spec, err = analyseDateTimePicture(picture); err != nil {
			return "", err
		}
	}
	offsetMillis := (60*offsetHours + offsetMinutes) * 60 * 1000
	ms := millis + offsetMillis
	var b strings.Builder
	for _, part := range spec {
		if part.literal {
			b.WriteString(part.value)
			continue
		}
		s, err := formatComponent(ms, part, offsetHours, offsetMinutes)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func formatComponent(ms float64, part *dtPart, offsetHours, offsetMinutes float64) (string, *Error) {
	value := dateFragment(ms, part.component)
	switch {
	case strings.IndexByte("YMDdFWwXxHhms", part.component) >= 0:
		num, _ := value.(float64)
		if part.component == 'Y' && part.n != -1 {
			num = math.Mod(num, math.Pow(10, float64(part.n)))
		}
		if part.names >= 0 {
			name := "undefined" // an invalid date has no month or day name
			switch part.component {
			case 'M', 'x':
				if num == num {
					name = monthNames[int(num)-1]
				}
			case 'F':
				if num == num {
					name = dayNames[int(num)]
				}
			default:
				return "", errValue("D3133", string(part.component))
			}
			switch part.names {
			case caseUpper:
				name = strings.ToUpper(name)
			case caseLower:
				name = strings.ToLower(name)
			}
			if part.width != nil && part.width.hasMax && len(name) > part.width.max {
				name = name[:part.width.max]
			}
			return name, nil
		}
		return formatIntegerWith(num, part.intFmt)
	case part.component == 'f':
		num, _ := value.(float64)
		return formatIntegerWith(num, part.intFmt)
	case part.component == 'Z' || part.component == 'z':
		offset := offsetHours*100 + offsetMinutes
		var s string
		var err *Error
		if part.intFmt.regular {
			s, err = formatIntegerWith(offset, part.intFmt)
		} else {
			switch n := part.intFmt.mandatoryDigits; {
			case n == 1 || n == 2:
				s, err = formatIntegerWith(offsetHours, part.intFmt)
				if err == nil && offsetMinutes != 0 {
					f2, _ := analyseIntegerPicture("00")
					m, _ := formatIntegerWith(offsetMinutes, f2)
					s += ":" + m
				}
			case n == 3 || n == 4:
				s, err = formatIntegerWith(offset, part.intFmt)
			default:
				return "", errValue("D3134", float64(n))
			}
		}
		if err != nil {
			return "", err
		}
		if offset >= 0 {
			s = "+" + s
		}
		if part.component == 'z' {
			s = "GMT" + s
		}
		if offset == 0 && part.pres2 == "t" {
			s = "Z"
		}
		return s, nil
	case part.component == 'P':
		s, _ := value.(string)
		if part.names == caseUpper {
			s = strings.ToUpper(s)
		}
		return s, nil
	}
	if s, ok := value.(string); ok {
		return s, nil
	}
	return "", nil
}

// parseIntJS is parseInt(s, 10) with an optional sign (0 if nothing parses).
func parseIntJS(s string) int {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n, _ := parseLeadingInt(s)
	if neg {
		return -n
	}
	return n
}

type dtMatcher struct {
	component byte
	regex     string
	parse     func(string) float64
}

func dateTimeMatchers(spec []*dtPart) ([]dtMatcher, *Error) {
	var out []dtMatcher
	for _, part := range spec {
		var m dtMatcher
		switch {
		case part.literal:
			m.regex = regexp.QuoteMeta(part.value)
		case part.component == 'Z' || part.component == 'z':
			sep := ""
			if part.intFmt.regular {
				sep = part.intFmt.regularSep.char
			}
			if part.component == 'z' {
				m.regex = "GMT"
			}
			m.regex += "[-+][0-9]+"
			if sep != "" {
				m.regex += regexp.QuoteMeta(sep) + "[0-9]+"
			}
			z := part.component == 'z'
			m.parse = func(v string) float64 {
				if z && len(v) >= 3 {
					v = v[3:]
				}
				var h, mi int
				if sep != "" {
					i := strings.Index(v, sep)
					h = parseIntJS(v[:i])
					mi = parseIntJS(v[i+len(sep):])
				} else if len(v)-1 <= 2 {
					h = parseIntJS(v)
				} else {
					h = parseIntJS(v[:3])
					mi = parseIntJS(v[3:])
				}
				return float64(h*60 + mi)
			}
		case part.component == 'f':
			m.regex = "[0-9]+"
			m.parse = func(v string) float64 {
				if len(v) > 3 {
					v = v[:3]
				}
				f, _ := strconv.ParseFloat("0."+v, 64)
				return f * 1000
			}
		case part.intFmt != nil:
			im, err := integerMatcher(part.intFmt)
			if err != nil {
				return nil, err
			}
			m.regex, m.parse = im.regex, im.parse
		default:
			m.regex = "[a-zA-Z]+"
			lookup := map[string]float64{}
			switch part.component {
			case 'M', 'x':
				for i, name := range monthNames {
					if part.width != nil && part.width.hasMax && part.width.max < len(name) {
						name = name[:part.width.max]
					}
					lookup[name] = float64(i + 1)
				}
			case 'F':
				for i, name := range dayNames {
					if i == 0 {
						continue
					}
					if part.width != nil && part.width.hasMax && part.width.max < len(name) {
						name = name[:part.width.max]
					}
					lookup[name] = float64(i)
				}
			case 'P':
				lookup = map[string]float64{"am": 0, "AM": 0, "pm": 1, "PM": 1}
			default:
				return nil, errValue("D3133", string(part.component))
			}
			m.parse = func(v string) float64 {
				if n, ok := lookup[v]; ok {
					return n
				}
				return math.NaN()
			}
		}
		m.component = part.component
		if part.literal {
			m.component = 0
		}
		out = append(out, m)
	}
	return out, nil
}

// parseDateTime parses timestamp with a picture string; ok is false when the text
// does not match the picture.
func (ev *evaluator) parseDateTime(timestamp, picture string) (any, error) {
	spec, err := analyseDateTimePicture(picture)
	if err != nil {
		return nil, err
	}
	matchers, err := dateTimeMatchers(spec)
	if err != nil {
		return nil, err
	}
	var full strings.Builder
	full.WriteString("(?i)^")
	for _, m := range matchers {
		full.WriteString("(" + m.regex + ")")
	}
	full.WriteString("$")
	re, rerr := regexp.Compile(full.String())
	if rerr != nil {
		return undefined, nil
	}
	info := re.FindStringSubmatch(timestamp)
	if info == nil {
		return undefined, nil
	}
	comps := map[byte]float64{}
	for i, m := range matchers {
		if m.parse != nil {
			comps[m.component] = m.parse(info[i+1])
		}
	}
	if len(comps) == 0 {
		return undefined, nil
	}
	mask := 0
	shift := func(b byte) {
		mask <<= 1
		if _, ok := comps[b]; ok {
			mask++
		}
	}
	isType := func(t int) bool { return ^t&mask == 0 && t&mask != 0 }
	for _, c := range []byte("YXMxWwdD") {
		shift(c)
	}
	dateA := isType(161)
	dateB := !dateA && isType(130)
	dateC := isType(84)
	dateD := !dateC && isType(72)
	mask = 0
	for _, c := range []byte("PHhmsf") {
		shift(c)
	}
	timeA := isType(23)
	timeB := !timeA && isType(47)

	dateComps := "YMD"
	switch {
	case dateB:
		dateComps = "YD"
	case dateC:
		dateComps = "XxwF"
	case dateD:
		dateComps = "XWF"
	}
	timeComps := "Hmsf"
	if timeB {
		timeComps = "Phmsf"
	}
	now := float64(ev.timestamp().UnixMilli())
	startSpecified, endSpecified := false, false
	for _, c := range []byte(dateComps + timeComps) {
		if _, ok := comps[c]; !ok {
			if startSpecified {
				if strings.IndexByte("MDd", c) >= 0 {
					comps[c] = 1
				} else {
					comps[c] = 0
				}
				endSpecified = true
			} else {
				switch v := dateFragment(now, c).(type) {
				case float64:
					comps[c] = v
				case string:
					if v == "pm" {
						comps[c] = 1
					} else {
						comps[c] = 0
					}
				}
			}
		} else {
			startSpecified = true
			if endSpecified {
				return nil, newError("D3136")
			}
		}
	}
	if comps['M'] > 0 {
		comps['M']--
	} else {
		comps['M'] = 0
	}
	if dateB {
		first := dateUTC(comps['Y'], 0, 1, 0, 0, 0, 0)
		derived := utcTime(first + (comps['d']-1)*millisInADay)
		comps['M'] = float64(int(derived.Month()) - 1)
		comps['D'] = float64(derived.Day())
	}
	if dateC || dateD {
		return nil, newError("D3136")
	}
	if timeB {
		if comps['h'] == 12 {
			comps['H'] = 0
		} else {
			comps['H'] = comps['h']
		}
		if comps['P'] == 1 {
			comps['H'] += 12
		}
	}
	millis := dateUTC(comps['Y'], comps['M'], comps['D'], comps['H'], comps['m'], comps['s'], comps['f'])
	if z, ok := comps['Z']; ok && z != 0 {
		millis -= z * 60 * 1000
	} else if z, ok := comps['z']; ok && z != 0 {
		millis -= z * 60 * 1000
	}
	return millis, nil
}

var iso8601 = regexp.MustCompile(`^(\d{4})(-([01]\d))?(-([0-3]\d))?(T([0-2]\d):([0-5]\d):([0-5]\d))?(\.(\d+))?(([+-])([0-2]\d):?([0-5]\d)|Z)?$`)

// parseISO is Date.parse for the ISO 8601 forms the toMillis check accepts.
func parseISO(s string) float64 {
	m := iso8601.FindStringSubmatch(s)
	if m == nil {
		return math.NaN()
	}
	num := func(t string, def float64) float64 {
		if t == "" {
			return def
		}
		f, _ := strconv.ParseFloat(t, 64)
		return f
	}
	y, mon, d := num(m[1], 0), num(m[3], 1), num(m[5], 1)
	h, mi, sec := num(m[7], 0), num(m[8], 0), num(m[9], 0)
	if mon < 1 || mon > 12 || d < 1 || d > 31 || h > 24 || (h == 24 && (mi != 0 || sec != 0)) {
		return math.NaN()
	}
	if d > float64(daysIn(int(y), int(mon))) {
		return math.NaN()
	}
	ms := 0.0
	if frac := m[11]; frac != "" {
		for len(frac) < 3 {
			frac += "0"
		}
		ms = num(frac[:3], 0)
	}
	t := time.Date(int(y), time.Month(int(mon)), int(d), int(h), int(mi), int(sec), 0, time.UTC)
	out := float64(t.UnixMilli()) + ms
	if m[13] != "" {
		oh, om := num(m[14], 0), num(m[15], 0)
		off := (oh*60 + om) * 60000
		if m[13] == "-" {
			off = -off
		}
		out -= off
	}
	return out
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func fnToMillis(ev *evaluator, c callCtx, args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return undefined, nil
	}
	if pic, ok := arg(args, 1).(string); ok {
		return ev.parseDateTime(s, pic)
	}
	if !iso8601.MatchString(s) {
		return nil, errValue("D3110", s)
	}
	return parseISO(s), nil
}

func fnFromMillis(ev *evaluator, c callCtx, args []any) (any, error) {
	ms, ok := args[0].(float64)
	if !ok {
		return undefined, nil
	}
	pic, hasPic := arg(args, 1).(string)
	tz, hasTZ := arg(args, 2).(string)
	s, err := formatDateTime(ms, pic, hasPic, tz, hasTZ)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func fnNow(ev *evaluator, c callCtx, args []any) (any, error) {
	ms := float64(ev.timestamp().UnixMilli())
	pic, hasPic := arg(args, 0).(string)
	tz, hasTZ := arg(args, 1).(string)
	s, err := formatDateTime(ms, pic, hasPic, tz, hasTZ)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func fnMillis(ev *evaluator, c callCtx, args []any) (any, error) {
	return float64(ev.timestamp().UnixMilli()), nil
}

// jsSubstring is String.prototype.substring: bounds are clamped and swapped if
// reversed.
func jsSubstring(s string, start, end int) string {
	start = max(0, min(start, len(s)))
	end = max(0, min(end, len(s)))
	if start > end {
		start, end = end, start
	}
	return s[start:end]
}
