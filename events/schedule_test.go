package events

import (
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestScheduleNext(t *testing.T) {
	t.Parallel()
	cases := []struct {
		expr, after, anchor, want string
	}{
		{"cron(0 12 * * ? *)", "2024-01-01T10:00:00Z", "", "2024-01-01T12:00:00Z"},
		{"cron(0 12 * * ? *)", "2024-01-01T12:00:00Z", "", "2024-01-02T12:00:00Z"},
		{"cron(0 12 * * ? *)", "2024-12-31T12:30:00Z", "", "2025-01-01T12:00:00Z"},
		{"cron(0/15 * * * ? *)", "2024-01-01T10:07:00Z", "", "2024-01-01T10:15:00Z"},
		{"cron(*/20 9-17 ? * MON-FRI *)", "2024-01-05T17:45:00Z", "", "2024-01-08T09:00:00Z"},
		{"cron(5,35 14 * * ? *)", "2024-01-01T14:06:00Z", "", "2024-01-01T14:35:00Z"},
		// The last Friday of the month.
		{"cron(15 10 ? * 6L 2024)", "2024-01-01T00:00:00Z", "", "2024-01-26T10:15:00Z"},
		// L: the last day, in leap and common years.
		{"cron(0 9 L * ? *)", "2024-02-01T00:00:00Z", "", "2024-02-29T09:00:00Z"},
		{"cron(0 9 L * ? *)", "2023-02-01T00:00:00Z", "", "2023-02-28T09:00:00Z"},
		{"cron(0 9 L * ? *)", "2024-04-30T09:00:00Z", "", "2024-05-31T09:00:00Z"},
		// L in day-of-week alone is Saturday.
		{"cron(0 0 ? * L *)", "2024-01-01T00:00:00Z", "", "2024-01-06T00:00:00Z"},
		// W: 15 June 2024 is a Saturday, so the 14th; 1 June is a Saturday, so Monday the 3rd.
		{"cron(0 9 15W * ? *)", "2024-06-01T00:00:00Z", "", "2024-06-14T09:00:00Z"},
		{"cron(0 0 1W * ? *)", "2024-05-31T12:00:00Z", "", "2024-06-03T00:00:00Z"},
		// 30 June 2024 is a Sunday at the month's end: Friday the 28th.
		{"cron(0 0 30W * ? *)", "2024-06-20T00:00:00Z", "", "2024-06-28T00:00:00Z"},
		// 31W in a 30-day month never matches it.
		{"cron(0 0 31W 4,5 ? *)", "2024-04-01T00:00:00Z", "", "2024-05-31T00:00:00Z"},
		// LW: 31 March 2024 is a Sunday.
		{"cron(0 0 LW * ? *)", "2024-03-01T00:00:00Z", "", "2024-03-29T00:00:00Z"},
		// #: the second Tuesday; the fifth Thursday (February 2024 has one).
		{"cron(0 10 ? * 3#2 *)", "2024-01-01T00:00:00Z", "", "2024-01-09T10:00:00Z"},
		{"cron(0 0 ? * 5#5 *)", "2024-02-01T01:00:00Z", "", "2024-02-29T00:00:00Z"},
		{"cron(0 0 ? * THU#5 *)", "2024-03-01T00:00:00Z", "", "2024-05-30T00:00:00Z"},
		// Names and lists.
		{"cron(30 8 ? JAN,JUL MON-FRI *)", "2024-02-01T00:00:00Z", "", "2024-07-01T08:30:00Z"},
		{"cron(0 0 ? * FRI-MON *)", "2024-01-02T00:00:00Z", "", "2024-01-05T00:00:00Z"},
		{"cron(0 22-2 * * ? *)", "2024-01-01T02:30:00Z", "", "2024-01-01T22:00:00Z"},
		{"cron(0 0 1 */3 ? *)", "2024-02-01T00:00:00Z", "", "2024-04-01T00:00:00Z"},
		// 29 February: only leap years.
		{"cron(0 0 29 2 ? *)", "2024-03-01T00:00:00Z", "", "2028-02-29T00:00:00Z"},
		// Years.
		{"cron(0 0 1 1 ? 2025-2026)", "2024-05-05T00:00:00Z", "", "2025-01-01T00:00:00Z"},
		{"cron(0 0 1 1 ? 2025-2026)", "2026-06-01T00:00:00Z", "", ""},
		{"cron(0 0 1 1 ? 2030/5)", "2031-01-01T00:00:00Z", "", "2035-01-01T00:00:00Z"},
		{"cron(0 0 31 2 ? *)", "2024-01-01T00:00:00Z", "", ""},
		{"cron(59 23 31 12 ? 2199)", "2199-12-31T23:58:30Z", "", "2199-12-31T23:59:00Z"},
		// Rates count from the anchor, truncated to the minute.
		{"rate(5 minutes)", "2024-01-01T10:02:00Z", "2024-01-01T10:00:30Z", "2024-01-01T10:05:00Z"},
		{"rate(5 minutes)", "2024-01-01T10:05:00Z", "2024-01-01T10:00:30Z", "2024-01-01T10:10:00Z"},
		{"rate(1 hour)", "2024-01-01T09:00:00Z", "2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z"},
		{"rate(1 day)", "2024-01-02T10:00:00Z", "2024-01-01T10:00:00Z", "2024-01-03T10:00:00Z"},
		{"rate(2 hours)", "2024-01-01T13:59:00Z", "2024-01-01T10:00:00Z", "2024-01-01T14:00:00Z"},
	}
	for _, c := range cases {
		s, err := ParseSchedule(c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		var anchor time.Time
		if c.anchor != "" {
			anchor = utc(c.anchor)
		}
		got := s.Next(utc(c.after), anchor)
		var want time.Time
		if c.want != "" {
			want = utc(c.want)
		}
		if !got.Equal(want) {
			t.Errorf("%s after %s: got %v, want %v", c.expr, c.after, got, want)
		}
	}
}

func TestParseScheduleRefuses(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{
		"", "foo", "cron()", "rate()", "cron(0 12 * * * *)", "cron(0 12 ? * ? *)", "cron(60 * * * ? *)",
		"cron(0 24 * * ? *)", "cron(0 12 * * ?)", "cron(0 12 * * ? * *)", "rate(1 minutes)", "rate(5 minute)",
		"rate(0 minutes)", "rate(-1 minutes)", "rate(5 weeks)", "rate(1.5 hours)", "rate(+2 hours)", "rate(5)",
		"cron(0 0 32 * ? *)", "cron(0 0 0 * ? *)", "cron(0 0 ? * 8 *)", "cron(0 0 ? * 0 *)", "cron(0 0 ? * 2#6 *)",
		"cron(0 0 * * ? 1969)", "cron(0 0 * * ? 2200)", "cron(*/0 * * * ? *)", "cron(0 0 L-3 * ? *)",
		"cron(0 0 ? * MON#0 *)", "cron(0 0 * 13 ? *)", "cron(0 0 * FOO ? *)", "cron(0 0 * * ? 2030-2025)",
		"cron(a b c d e f)", "cron(0 0 1-40 * ? *)", "cron(0 0 ,1 * ? *)", "cron(0 0 1 * ? *", "CRON(0 0 1 * ? *)",
	} {
		if s, err := ParseSchedule(expr); err == nil {
			t.Errorf("%q parsed as %v", expr, s)
		} else if err.Error() != "Parameter ScheduleExpression is not valid." {
			t.Errorf("%q: message %q", expr, err)
		}
	}
}

func FuzzSchedule(f *testing.F) {
	for _, s := range []string{"cron(0 12 * * ? *)", "cron(15 10 ? * 6L 2024)", "cron(0 9 15W * ? *)",
		"cron(0 10 ? * 3#2 *)", "cron(0 0 ? * FRI-MON *)", "rate(5 minutes)", "cron(0 0 LW * ? 2025-2030/2)"} {
		f.Add(s, int64(1704067200))
	}
	f.Fuzz(func(t *testing.T, expr string, at int64) {
		s, err := ParseSchedule(expr)
		if err != nil {
			return
		}
		after := time.Unix(at%(1<<33), 0).UTC()
		anchor := after.Add(-90 * time.Minute)
		next := s.Next(after, anchor)
		if next.IsZero() {
			return
		}
		if !next.After(after) {
			t.Fatalf("%s: next %v is not after %v", expr, next, after)
		}
		if next.Second() != 0 || next.Nanosecond() != 0 {
			t.Fatalf("%s: next %v is not on a minute", expr, next)
		}
		// The due time is stable: asking from just before it finds it again.
		if again := s.Next(next.Add(-time.Second), anchor); !again.Equal(next) {
			t.Fatalf("%s: next from %v is %v, from just before it %v", expr, after, next, again)
		}
	})
}
