package timeline

import (
	"reflect"
	"testing"
	"time"
	"unsafe"
)

// TestCloneCopiesEveryString fills every string field of an Event (found
// by reflection, so a new field cannot be forgotten) with a view of one
// buffer, clones the event, overwrites the buffer and checks that the clone
// kept the values.
func TestCloneCopiesEveryString(t *testing.T) {
	var e Event
	v := reflect.ValueOf(&e).Elem()
	var buf []byte
	type span struct{ field, at, n int }
	var spans []span
	for i := range v.NumField() {
		if v.Field(i).Kind() != reflect.String {
			continue
		}
		name := v.Type().Field(i).Name
		spans = append(spans, span{i, len(buf), len(name)})
		buf = append(buf, name...)
	}
	for _, s := range spans {
		view := unsafe.String(&buf[s.at], s.n)
		v.Field(s.field).SetString(view)
	}
	e.Time = time.Date(2023, 6, 16, 1, 2, 3, 0, time.UTC)
	e.Offset = 42
	want := make(map[string]string)
	for _, s := range spans {
		want[v.Type().Field(s.field).Name] = string(buf[s.at : s.at+s.n])
	}

	c := e.Clone()
	for i := range buf {
		buf[i] = 'x'
	}
	cv := reflect.ValueOf(c)
	for _, s := range spans {
		name := v.Type().Field(s.field).Name
		if got := cv.Field(s.field).String(); got != want[name] {
			t.Errorf("clone's %s = %q after the buffer changed, want %q", name, got, want[name])
		}
	}
	if !c.Time.Equal(e.Time) || c.Offset != 42 {
		t.Errorf("clone's time and offset = %v, %d", c.Time, c.Offset)
	}
}
