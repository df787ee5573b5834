package events

import (
	"errors"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// errBadSchedule is every malformed ScheduleExpression; AWS names no reason.
var errBadSchedule = errors.New("Parameter ScheduleExpression is not valid.")

// Schedule is a parsed ScheduleExpression: AWS's cron(...) with its six fields, or
// rate(N unit). Times are UTC, at minute resolution.
type Schedule struct {
	expr string
	rate time.Duration // > 0 for rate(...)
	cron *cronSpec
}

// String is the expression the schedule was parsed from.
func (s *Schedule) String() string { return s.expr }

// Rate is the period of a rate(...) schedule, 0 for cron(...).
func (s *Schedule) Rate() time.Duration { return s.rate }

// ParseSchedule parses "cron(min hour day-of-month month day-of-week year)" or
// "rate(N minute[s]|hour[s]|day[s])". The error's text is AWS's ValidationException
// message.
func ParseSchedule(expr string) (*Schedule, error) {
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		d, err := parseRate(expr[len("rate(") : len(expr)-1])
		if err != nil {
			return nil, err
		}
		return &Schedule{expr: expr, rate: d}, nil
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		c, err := parseCron(expr[len("cron(") : len(expr)-1])
		if err != nil {
			return nil, err
		}
		return &Schedule{expr: expr, cron: c}, nil
	}
	return nil, errBadSchedule
}

func parseRate(s string) (time.Duration, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, errBadSchedule
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 || f[0][0] == '+' || n > 1_000_000 {
		return 0, errBadSchedule
	}
	var unit time.Duration
	singular := n == 1
	switch f[1] {
	case "minute", "minutes":
		unit = time.Minute
	case "hour", "hours":
		unit = time.Hour
	case "day", "days":
		unit = 24 * time.Hour
	default:
		return 0, errBadSchedule
	}
	// AWS: singular unit for 1, plural for more.
	if strings.HasSuffix(f[1], "s") == singular {
		return 0, errBadSchedule
	}
	return time.Duration(n) * unit, nil
}

// Next returns the first due time strictly after after. anchor is where a rate
// schedule counts its periods from (the rule's creation or enabling); cron ignores it.
// The zero time means the schedule is never due again (a cron whose years are past).
func (s *Schedule) Next(after, anchor time.Time) time.Time {
	after = after.UTC()
	if s.rate > 0 {
		anchor = anchor.UTC().Truncate(time.Minute)
		if after.Before(anchor) {
			return anchor.Add(s.rate)
		}
		k := after.Sub(anchor)/s.rate + 1
		return anchor.Add(k * s.rate)
	}
	return s.cron.next(after)
}

// Field bounds; years as AWS allows them.
const (
	minYear = 1970
	maxYear = 2199
)

// cronSpec is a parsed cron(...). Sets are bitmasks indexed by value.
type cronSpec struct {
	minutes uint64
	hours   uint64
	months  uint64
	years   [4]uint64 // bit (year - minYear)

	domAny   bool // "?" in day-of-month: days are chosen by day-of-week
	days     uint64
	lastDay  bool   // L
	lastWeek bool   // LW: the last weekday of the month
	nearest  uint64 // nW: the weekday nearest day n

	dows     uint64 // 1 = SUN ... 7 = SAT
	lastDows uint64 // nL: the last such weekday of the month
	nth      [8]uint8
}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
	"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}

var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

func parseCron(s string) (*cronSpec, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, errBadSchedule
	}
	c := &cronSpec{}
	var err error
	if c.minutes, err = parseField(f[0], 0, 59, nil); err != nil {
		return nil, err
	}
	if c.hours, err = parseField(f[1], 0, 23, nil); err != nil {
		return nil, err
	}
	if c.months, err = parseField(f[3], 1, 12, monthNames); err != nil {
		return nil, err
	}
	if err := c.parseYears(f[5]); err != nil {
		return nil, err
	}
	domQ, dowQ := f[2] == "?", f[4] == "?"
	if domQ == dowQ { // exactly one of them must be "?"
		return nil, errBadSchedule
	}
	if domQ {
		c.domAny = true
		return c, c.parseDows(f[4])
	}
	return c, c.parseDays(f[2])
}

// parseField reads a list of values, ranges, steps and "*" within [lo, hi].
func parseField(s string, lo, hi int, names map[string]int) (uint64, error) {
	var set uint64
	for part := range strings.SplitSeq(s, ",") {
		vals, err := parseItem(part, lo, hi, names)
		if err != nil {
			return 0, err
		}
		for _, v := range vals {
			set |= 1 << uint(v)
		}
	}
	return set, nil
}

// parseItem reads one of "*", "n", "a-b", with an optional "/step". Ranges may wrap
// (FRI-MON, 22-2) except for years.
func parseItem(s string, lo, hi int, names map[string]int) ([]int, error) {
	base, stepText, hasStep := strings.Cut(s, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepText)
		if err != nil || n <= 0 || stepText[0] == '+' {
			return nil, errBadSchedule
		}
		step = n
	}
	start, end := lo, hi
	switch {
	case base == "*":
	case strings.Contains(base, "-"):
		a, b, _ := strings.Cut(base, "-")
		var err error
		if start, err = cronValue(a, lo, hi, names); err != nil {
			return nil, err
		}
		if end, err = cronValue(b, lo, hi, names); err != nil {
			return nil, err
		}
	default:
		v, err := cronValue(base, lo, hi, names)
		if err != nil {
			return nil, err
		}
		start = v
		if !hasStep {
			end = v
		}
	}
	var out []int
	width := hi - lo + 1
	span := end - start
	if span < 0 {
		if hi > 100 { // years do not wrap
			return nil, errBadSchedule
		}
		span += width
	}
	for i := 0; i <= span; i += step {
		out = append(out, lo+(start-lo+i)%width)
	}
	return out, nil
}

func cronValue(s string, lo, hi int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	if s == "" || len(s) > 4 {
		return 0, errBadSchedule
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, errBadSchedule
		}
	}
	v, _ := strconv.Atoi(s)
	if v < lo || v > hi {
		return 0, errBadSchedule
	}
	return v, nil
}

func (c *cronSpec) parseYears(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		vals, err := parseItem(part, minYear, maxYear, nil)
		if err != nil {
			return err
		}
		for _, y := range vals {
			i := y - minYear
			c.years[i/64] |= 1 << uint(i%64)
		}
	}
	return nil
}

func (c *cronSpec) parseDays(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		switch {
		case part == "L":
			c.lastDay = true
		case part == "LW":
			c.lastWeek = true
		case strings.HasSuffix(part, "W"):
			v, err := cronValue(strings.TrimSuffix(part, "W"), 1, 31, nil)
			if err != nil {
				return err
			}
			c.nearest |= 1 << uint(v)
		default:
			vals, err := parseItem(part, 1, 31, nil)
			if err != nil {
				return err
			}
			for _, v := range vals {
				c.days |= 1 << uint(v)
			}
		}
	}
	return nil
}

func (c *cronSpec) parseDows(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		switch {
		case part == "L": // the last day of the week: Saturday
			c.dows |= 1 << 7
		case strings.HasSuffix(part, "L"):
			v, err := cronValue(strings.TrimSuffix(part, "L"), 1, 7, dayNames)
			if err != nil {
				return err
			}
			c.lastDows |= 1 << uint(v)
		case strings.Contains(part, "#"):
			d, n, _ := strings.Cut(part, "#")
			v, err := cronValue(d, 1, 7, dayNames)
			if err != nil {
				return err
			}
			k, err := cronValue(n, 1, 5, nil)
			if err != nil {
				return err
			}
			c.nth[v] |= 1 << uint(k)
		default:
			vals, err := parseItem(part, 1, 7, dayNames)
			if err != nil {
				return err
			}
			for _, v := range vals {
				c.dows |= 1 << uint(v)
			}
		}
	}
	return nil
}

func (c *cronSpec) hasYear(y int) bool {
	if y < minYear || y > maxYear {
		return false
	}
	i := y - minYear
	return c.years[i/64]&(1<<uint(i%64)) != 0
}

// next finds the first matching minute after t, walking days and skipping months and
// years that cannot match.
func (c *cronSpec) next(t time.Time) time.Time {
	t = t.Truncate(time.Minute).Add(time.Minute)
	y, m, d := t.Date()
	hour, minute := t.Hour(), t.Minute()
	for y <= maxYear {
		if !c.hasYear(y) {
			y, m, d, hour, minute = y+1, 1, 1, 0, 0
			continue
		}
		if c.months&(1<<uint(m)) == 0 {
			y, m, d, hour, minute = nextMonth(y, m)
			continue
		}
		dim := daysIn(y, m)
		for ; d <= dim; d, hour, minute = d+1, 0, 0 {
			if !c.dayMatches(y, m, d, dim) {
				continue
			}
			if h, mi, ok := c.timeOfDay(hour, minute); ok {
				return time.Date(y, m, d, h, mi, 0, 0, time.UTC)
			}
		}
		y, m, d, hour, minute = nextMonth(y, m)
	}
	return time.Time{}
}

func nextMonth(y int, m time.Month) (int, time.Month, int, int, int) {
	if m == time.December {
		return y + 1, time.January, 1, 0, 0
	}
	return y, m + 1, 1, 0, 0
}

// timeOfDay is the first hour:minute at or after hour:minute that matches.
func (c *cronSpec) timeOfDay(hour, minute int) (int, int, bool) {
	for h := hour; h < 24; h++ {
		if c.hours&(1<<uint(h)) == 0 {
			continue
		}
		from := 0
		if h == hour {
			from = minute
		}
		if rest := c.minutes >> uint(from); rest != 0 {
			return h, from + bits.TrailingZeros64(rest), true
		}
	}
	return 0, 0, false
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func weekday(y int, m time.Month, d int) time.Weekday {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday()
}

func (c *cronSpec) dayMatches(y int, m time.Month, d, dim int) bool {
	if c.domAny {
		w := int(weekday(y, m, d)) + 1 // 1 = SUN
		switch {
		case c.dows&(1<<uint(w)) != 0:
			return true
		case c.lastDows&(1<<uint(w)) != 0 && d+7 > dim:
			return true
		case c.nth[w]&(1<<uint((d-1)/7+1)) != 0:
			return true
		}
		return false
	}
	switch {
	case c.days&(1<<uint(d)) != 0:
		return true
	case c.lastDay && d == dim:
		return true
	case c.lastWeek && d == nearestWeekday(y, m, dim, dim):
		return true
	}
	for n := c.nearest; n != 0; n &= n - 1 {
		if target := bits.TrailingZeros64(n); target <= dim && d == nearestWeekday(y, m, target, dim) {
			return true
		}
	}
	return false
}

// nearestWeekday is the Monday-to-Friday day nearest day n, without leaving the month.
func nearestWeekday(y int, m time.Month, n, dim int) int {
	switch weekday(y, m, n) {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == dim {
			return n - 2
		}
		return n + 1
	}
	return n
}
