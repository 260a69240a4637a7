package gitlab

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		name string
		give string
		want string // RFC 3339 in UTC; "" means an error
	}{
		{name: "RFC 3339 Z", give: "2021-01-20T10:07:04Z", want: "2021-01-20T10:07:04Z"},
		{name: "RFC 3339 milliseconds", give: "2015-04-05T12:00:00.000Z", want: "2015-04-05T12:00:00Z"},
		{name: "RFC 3339 offset", give: "2011-12-12T14:27:31+02:00", want: "2011-12-12T12:27:31Z"},
		{name: "space UTC", give: "2021-01-20 10:07:04 UTC", want: "2021-01-20T10:07:04Z"},
		{name: "space positive offset", give: "2021-01-20 10:07:04 +0100", want: "2021-01-20T09:07:04Z"},
		{name: "space negative offset", give: "2021-01-20 10:07:04 -0530", want: "2021-01-20T15:37:04Z"},
		{name: "space colon offset", give: "2021-04-28 21:50:00 +02:00", want: "2021-04-28T19:50:00Z"},
		{name: "space fractional UTC", give: "2021-01-20 10:07:04.123 UTC", want: "2021-01-20T10:07:04.123Z"},
		{name: "offset crossing midnight", give: "2021-01-01 00:30:00 +0100", want: "2020-12-31T23:30:00Z"},
		{name: "no zone", give: "2021-01-20 10:07:04", want: ""},
		{name: "RFC 3339 without zone", give: "2021-01-20T10:07:04", want: ""},
		{name: "other zone name", give: "2021-01-20 10:07:04 CET", want: ""},
		{name: "date only", give: "2021-01-20", want: ""},
		{name: "empty", give: "", want: ""},
		{name: "out of range", give: "1900-01-01 00:00:00 UTC", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTime(tc.give)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("ParseTime(%q) = %v, want an error", tc.give, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTime(%q): %v", tc.give, err)
			}
			if got.Location() != time.UTC {
				t.Errorf("location = %v, want UTC", got.Location())
			}
			if s := got.Format(time.RFC3339Nano); s != tc.want {
				t.Errorf("ParseTime(%q) = %s, want %s", tc.give, s, tc.want)
			}
		})
	}
}
