package alerting

import (
	"context"
	"testing"
	"time"

	"github.com/throughline/throughline/queries/chtest"
)

func TestZZDebug(t *testing.T) {
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	st := chtest.NewStore(t, chtest.Embedded(t))
	loadEvents(t, st, history(end))
	src := newSeriesSource(computer(t, st), st, 0)
	ser, err := src.series(context.Background(), Scope{GroupBy: "service"}, "incidents_opened", day, day, end, 20, end)
	t.Log(ser, err)
	ev := &evaluator{src: src}
	obs, err := ev.evaluate(context.Background(), evaluationRules()[3].withDefaults(), end.Add(9*time.Hour))
	t.Logf("%+v %v", obs, err)
	cur, err := src.current(context.Background(), Scope{GroupBy: "service"}, "change_failure_rate", 7*day, end.Add(9*time.Hour))
	t.Log(cur, err)
}
