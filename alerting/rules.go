package alerting

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/throughline/throughline/forecast"
)

// observation is a rule's verdict on one group at one evaluation.
type observation struct {
	Key         string
	Labels      map[string]string
	Active      bool
	Value       float64 // the value the verdict is about; NaN when none
	Explanation string
	Annotations map[string]string
}

// evaluator runs rules over series.
type evaluator struct {
	src *seriesSource
}

// evaluate returns the rule's observations at now, one per group that could
// be judged. A group missing from the result (no data, a series too short)
// keeps its alert's state: absence of evidence does not resolve an alert.
func (ev *evaluator) evaluate(ctx context.Context, r Rule, now time.Time) ([]observation, error) {
	var obs []observation
	var err error
	switch r.Kind {
	case KindThreshold:
		obs, err = ev.threshold(ctx, r, now)
	case KindForecast:
		obs, err = ev.forecast(ctx, r, now)
	case KindAnomaly:
		obs, err = ev.anomaly(ctx, r, now)
	case KindBurnRate:
		obs, err = ev.burn(ctx, r, now)
	default:
		return nil, fmt.Errorf("rule %s: unknown kind %q", r.Name, r.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("rule %s: %w", r.Name, err)
	}
	for i := range obs {
		obs[i].Labels = ruleLabels(r, obs[i].Key)
	}
	sort.Slice(obs, func(i, j int) bool { return obs[i].Key < obs[j].Key })
	return obs, nil
}

// ruleLabels are an alert's labels: the rule's name as alertname, its
// severity and measure, the scope and the rule's own labels.
func ruleLabels(r Rule, key string) map[string]string {
	l := cloneLabels(r.Labels)
	l["alertname"] = r.Name
	l["severity"] = r.Severity
	l["measure"] = r.Measure
	l[r.GroupBy] = key
	return l
}

func (ev *evaluator) threshold(ctx context.Context, r Rule, now time.Time) ([]observation, error) {
	cur, err := ev.src.current(ctx, r.scope(), r.Measure, r.Window.D(), now)
	if err != nil {
		return nil, err
	}
	unit, _ := measureUnit(r.Measure)
	var out []observation
	for key, v := range cur {
		if math.IsNaN(v) {
			continue
		}
		t := *r.Threshold
		active := map[string]bool{">": v > t, ">=": v >= t, "<": v < t, "<=": v <= t}[r.Op]
		out = append(out, observation{
			Key: key, Active: active, Value: v,
			Explanation: thresholdText(r.Measure, unit, key, r.Op, v, t, r.Window.D()),
		})
	}
	return out, nil
}

// candidates builds fresh models for a rule: Select fits them, so they are
// never shared between groups.
func candidates(names []string) []forecast.Model {
	var out []forecast.Model
	for _, n := range names {
		switch n {
		case "naive":
			out = append(out, &forecast.Naive{})
		case "seasonal_naive":
			out = append(out, &forecast.SeasonalNaive{Period: 7})
		case "ses":
			out = append(out, &forecast.SES{})
		case "linear":
			out = append(out, &forecast.Linear{})
		case "theta":
			out = append(out, &forecast.Theta{})
		case "holt":
			out = append(out, &forecast.Holt{})
		case "holt_winters":
			out = append(out, &forecast.HoltWinters{Period: 7})
		}
	}
	return out
}

// fitted is the outcome of choosing and fitting a model by backtest.
type fitted struct {
	model   forecast.Model
	report  forecast.BacktestReport
	horizon int // steps scored at each origin (1 when the series was too short for the rule's)
}

// ruleFolds is how many of the latest origins a forecast rule's selection
// scores at each evaluation (a bound on its cost on long daily series).
const ruleFolds = 16

// selectModel chooses among the candidates by a rolling-origin backtest
// (forecast.Select): never by hand. Origins start at half the series, or
// later when the most demanding candidate needs more; maxFolds keeps only
// the latest (0: all).
func selectModel(y []float64, names []string, horizon int, level float64, maxFolds int) (fitted, error) {
	minTrain := max(len(y)/2, 6)
	for _, n := range names {
		if n == "seasonal_naive" || n == "holt_winters" {
			minTrain = max(minTrain, 21)
		}
	}
	o := forecast.BacktestOptions{Horizon: horizon, Step: 1, MinTrain: minTrain, MaxFolds: maxFolds, Level: level}
	if minTrain+horizon > len(y) {
		// Too short to score the whole horizon: score one step ahead.
		o.Horizon = 1
	}
	best, rep, err := forecast.Select(y, candidates(names), o)
	if err != nil {
		return fitted{}, err
	}
	return fitted{model: best, report: rep, horizon: o.Horizon}, nil
}

// lastFinite returns the latest non-NaN value and its index.
func lastFinite(s forecast.Series) (float64, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if !math.IsNaN(s[i].V) {
			return s[i].V, i
		}
	}
	return math.NaN(), -1
}

func (ev *evaluator) forecast(ctx context.Context, r Rule, now time.Time) ([]observation, error) {
	step := r.Step.D()
	end := midnight(now)
	n := int(r.History.D() / step)
	h := int(r.Horizon.D() / step)
	all, err := ev.src.series(ctx, r.scope(), r.Measure, r.Window.D(), step, end, n, now)
	if err != nil {
		return nil, err
	}
	unit, _ := measureUnit(r.Measure)
	above := r.Direction != "below"
	var out []observation
	for _, key := range sortedKeys(all) {
		ser := all[key]
		f, err := selectModel(ser.Values(), r.Models, h, r.Level, ruleFolds)
		if err != nil {
			continue // too little data to judge this group
		}
		preds := f.model.Forecast(h, r.Level)
		if len(preds) != h {
			continue
		}
		crossStep, crosses := forecast.Crossing(preds, *r.Target, above)
		last, _ := lastFinite(ser)
		trendN := min(len(ser), int(r.Trend.D()/step))
		slope, slopeOK := forecast.SlopePerWeek(ser[len(ser)-trendN:])
		// Step k of the forecast is the window ending k steps after end;
		// dates name the last day a window covers.
		by := end.Add(time.Duration(h)*step - day)
		reach := preds[h-1].Mean
		score := f.report.Scores[f.report.Best]
		ann := map[string]string{
			"model":    score.Model,
			"mase":     num(score.MASE, 3),
			"coverage": num(score.Coverage, 3),
			"forecast": FormatValue(unit, reach),
			"interval": FormatValue(unit, preds[h-1].Lower) + " to " + FormatValue(unit, preds[h-1].Upper),
		}
		if crosses {
			ann["crossing"] = end.Add(time.Duration(crossStep)*step - day).Format("2006-01-02")
		}
		out = append(out, observation{
			Key: key, Active: crosses, Value: reach, Annotations: ann,
			Explanation: forecastText(forecastFacts{
				Measure: r.Measure, Unit: unit, Key: key, Above: above, Target: *r.Target,
				Last: last, Reach: reach, By: by, SlopePerWeek: slope, SlopeOK: slopeOK,
				TrendSpan: time.Duration(trendN) * step, Now: now,
			}),
		})
	}
	return out, nil
}

func (ev *evaluator) anomaly(ctx context.Context, r Rule, now time.Time) ([]observation, error) {
	step := r.Step.D()
	end := midnight(now)
	n := int(r.History.D() / step)
	base := int(r.Baseline.D() / step)
	recent := int(r.Recent.D() / step)
	all, err := ev.src.series(ctx, r.scope(), r.Measure, r.Window.D(), step, end, n, now)
	if err != nil {
		return nil, err
	}
	unit, _ := measureUnit(r.Measure)
	if r.Method == "poisson" {
		return rateObservations(all, r, unit, base, recent, now), nil
	}
	var out []observation
	for _, key := range sortedKeys(all) {
		ser := all[key]
		x := ser.Values()
		sig, err := chart(x, r, base)
		if err != nil {
			if errors.Is(err, forecast.ErrNonFinite) || errors.Is(err, forecast.ErrOverflow) {
				return nil, err
			}
			continue // a baseline too short or flat says nothing
		}
		var idx []int
		up := true
		switch r.Direction {
		case "up":
			idx = sig.Upper
		case "down":
			idx, up = sig.Lower, false
		default:
			idx = sig.Upper
			if lastIndex(sig.Lower) > lastIndex(sig.Upper) {
				idx, up = sig.Lower, false
			}
		}
		latest, li := lastFinite(ser)
		active := lastIndex(idx) >= n-recent
		o := observation{Key: key, Active: active, Value: latest}
		if active {
			mean, sd := meanSD(x[:base])
			o.Annotations = map[string]string{"method": r.Method, "signals": fmt.Sprint(len(idx))}
			o.Explanation = anomalyText(anomalyFacts{
				Measure: r.Measure, Unit: unit, Key: key, Up: up, Method: r.Method,
				Latest: latest, Mean: mean, SD: sd, Window: r.Window.D(),
				End:   ser[li].T.Add(step),
				Since: ser[runStart(idx, recent)].T.Add(step - day), Baseline: r.Baseline.D(), Now: now,
			})
		}
		out = append(out, o)
	}
	return out, nil
}

// rateObservations judges each group with the exact Poisson rate test: the
// events of the last recent steps against those of the first base steps
// (the steps between them are neither). A per-day measure is turned back
// into the count it averages (value × window days).
func rateObservations(all map[string]forecast.Series, r Rule, unit string, base, recent int, now time.Time) []observation {
	step := r.Step.D()
	perStep := 1.0
	if unit == "per_day" {
		perStep = float64(r.Window.D()) / float64(day)
	}
	var out []observation
	for _, key := range sortedKeys(all) {
		ser := all[key]
		x := ser.Values()
		counts := make([]float64, len(x))
		for i, v := range x {
			counts[i] = v * perStep
		}
		n := len(x)
		test, err := forecast.PoissonRateTest(counts[:base], counts[n-recent:])
		if err != nil {
			continue // nothing observed to compare
		}
		p, up := test.PUp, true
		switch r.Direction {
		case "down":
			p, up = test.PDown, false
		case "both":
			// Two-sided: the smaller tail, doubled.
			if test.PDown < test.PUp {
				p, up = test.PDown, false
			}
			p = min(1, 2*p)
		}
		latest, _ := lastFinite(ser)
		o := observation{Key: key, Active: p < r.Alpha, Value: latest}
		if o.Active {
			o.Annotations = map[string]string{"method": r.Method, "p_value": strconv.FormatFloat(p, 'g', 3, 64),
				"rate_ratio": strconv.FormatFloat(test.Ratio, 'g', 3, 64)}
			o.Explanation = rateText(rateFacts{
				Measure: r.Measure, Unit: unit, Key: key, Up: up, P: p,
				Recent: test.Recent, RecentSteps: test.RecentSteps, BaselineCount: test.Baseline, BaselineSteps: test.BaselineSteps,
				Step: step, End: ser[n-1].T.Add(step), Baseline: r.Baseline.D(), Now: now,
			})
		}
		out = append(out, o)
	}
	return out
}

// chart runs the rule's control chart.
func chart(x []float64, r Rule, base int) (forecast.Signals, error) {
	if r.Method == "cusum" {
		return forecast.CUSUM(x, forecast.CUSUMOptions{K: r.K, H: r.H, Baseline: base})
	}
	return forecast.EWMA(x, forecast.EWMAOptions{Lambda: r.Lambda, L: r.L, Baseline: base})
}

func lastIndex(idx []int) int {
	if len(idx) == 0 {
		return -1
	}
	return idx[len(idx)-1]
}

// runStart is the first signal of the latest run: signals no more than gap
// steps apart belong to one run.
func runStart(idx []int, gap int) int {
	i := len(idx) - 1
	for i > 0 && idx[i]-idx[i-1] <= max(gap, 1) {
		i--
	}
	return idx[i]
}

// meanSD is for explanations only: the baseline's mean and sample
// deviation as a manager reads them ("a usual 1.5 ± 1.2").
func meanSD(x []float64) (float64, float64) {
	var sum, n float64
	for _, v := range x {
		if !math.IsNaN(v) {
			sum += v
			n++
		}
	}
	if n < 2 {
		return math.NaN(), math.NaN()
	}
	mean := sum / n
	var ss float64
	for _, v := range x {
		if !math.IsNaN(v) {
			ss += (v - mean) * (v - mean)
		}
	}
	return mean, math.Sqrt(ss / (n - 1))
}

func (ev *evaluator) burn(ctx context.Context, r Rule, now time.Time) ([]observation, error) {
	windows := make([]forecast.BurnWindow, len(r.Windows))
	ratios := map[time.Duration]map[string]float64{}
	for i, w := range r.Windows {
		windows[i] = forecast.BurnWindow{Long: w.Long.D(), Short: w.Short.D(), Factor: w.Factor}
		for _, d := range []time.Duration{w.Long.D(), w.Short.D()} {
			if _, ok := ratios[d]; ok {
				continue
			}
			cur, err := ev.src.current(ctx, r.scope(), r.Measure, d, now)
			if err != nil {
				return nil, err
			}
			ratios[d] = cur
		}
	}
	keys := map[string]bool{}
	for _, m := range ratios {
		for k := range m {
			keys[k] = true
		}
	}
	var out []observation
	for _, key := range sortedKeys(keys) {
		er := map[time.Duration]float64{}
		for d, m := range ratios {
			v, ok := m[key]
			if !ok || math.IsNaN(v) {
				continue
			}
			if r.SuccessRatio {
				v = 1 - v
			}
			er[d] = v
		}
		if len(er) == 0 {
			continue
		}
		res, err := forecast.Evaluate(windows, er, r.SLO)
		if err != nil {
			return nil, err
		}
		o := observation{Key: key, Value: math.NaN()}
		for i, a := range res {
			if a.Firing {
				o.Active, o.Value = true, a.LongRate
				o.Explanation = burnText(r.Measure, key, r.SLO, r.Windows[i], a.LongRate, a.ShortRate)
				o.Annotations = map[string]string{"long_burn_rate": num(a.LongRate, 2), "short_burn_rate": num(a.ShortRate, 2)}
				break
			}
		}
		out = append(out, o)
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
