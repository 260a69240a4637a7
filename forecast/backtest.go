package forecast

import (
	"errors"
	"fmt"
	"math"
)

// BacktestOptions configures rolling-origin evaluation (FPP3 §5.10, "time
// series cross-validation"): fit on y[:o], forecast Horizon steps, score them
// against y[o:o+Horizon], for origins o = MinTrain, MinTrain+Step, … while
// the whole horizon fits in y. The window expands: every fit starts at y[0].
type BacktestOptions struct {
	Horizon  int     // steps scored at each origin; default 1
	Step     int     // origin increment; default 1
	MinTrain int     // first origin (training length); default half the series
	MaxFolds int     // keep only the latest MaxFolds origins; 0 = all
	Period   int     // seasonal period m of the MASE scale; 0 or 1 = one-step naive
	Level    float64 // interval level for coverage, in (0, 1); default 0.95
}

// Validate reports options that are wrong whatever the series. Zero values
// are valid: they take the defaults.
func (o BacktestOptions) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"Horizon", o.Horizon}, {"Step", o.Step}, {"MinTrain", o.MinTrain}, {"MaxFolds", o.MaxFolds}, {"Period", o.Period}} {
		if f.v < 0 {
			return fmt.Errorf("backtest: %s must not be negative, got %d", f.name, f.v)
		}
	}
	if o.Level != 0 && !(o.Level > 0 && o.Level < 1) {
		return fmt.Errorf("backtest: Level must be in (0, 1), got %v", o.Level)
	}
	return nil
}

func (o BacktestOptions) withDefaults(n int) BacktestOptions {
	if o.Horizon == 0 {
		o.Horizon = 1
	}
	if o.Step == 0 {
		o.Step = 1
	}
	if o.MinTrain == 0 {
		o.MinTrain = max(n/2, 1)
	}
	if o.Period == 0 {
		o.Period = 1
	}
	if o.Level == 0 {
		o.Level = 0.95
	}
	return o
}

// BacktestReport is the outcome of Select.
type BacktestReport struct {
	Origins []int   // training lengths evaluated
	Scores  []Score // one per candidate, in candidate order
	Best    int     // index of the chosen candidate in Scores
}

// Score is one candidate's backtest result.
type Score struct {
	Model    string
	MASE     float64 // mean over origins of the per-origin MASE; NaN if never defined
	MAE      float64 // mean absolute error over every scored actual
	Coverage float64 // share of scored actuals inside [Lower, Upper]
	Actuals  int     // actuals scored (missing ones are skipped)
	Err      error   // why the candidate was not eligible (failed to fit an origin)
}

// Select picks, among candidates, the model with the best rolling-origin
// backtest on y, refits it on the whole of y and returns it with the report.
//
// Ranking: lowest MASE (Hyndman & Koehler 2006), then lowest MAE (which
// still ranks where MASE is undefined, as on a flat series), then coverage
// closest to Level, then candidate order: list simpler models first.
// Coverage is reported but does not outrank accuracy, since interval
// calibration means little if the point forecast is worse.
//
// A candidate that fails to fit at any origin is ineligible (Score.Err), so
// that all eligible candidates are compared on the same origins; set
// MinTrain to what the most demanding candidate needs (two periods and some
// for HoltWinters). Select fits the candidates: do not share them with
// concurrent users. It returns an error for infinite values, no candidates,
// no origin, or no eligible candidate.
func Select(y []float64, candidates []Model, o BacktestOptions) (best Model, report BacktestReport, err error) {
	if err := o.Validate(); err != nil {
		return nil, report, err
	}
	if len(candidates) == 0 {
		return nil, report, errors.New("select: no candidate models")
	}
	if err := checkFinite(y); err != nil {
		return nil, report, fmt.Errorf("select: %w", err)
	}
	o = o.withDefaults(len(y))
	for t := o.MinTrain; t+o.Horizon <= len(y); t += o.Step {
		report.Origins = append(report.Origins, t)
	}
	if o.MaxFolds > 0 && len(report.Origins) > o.MaxFolds {
		report.Origins = report.Origins[len(report.Origins)-o.MaxFolds:]
	}
	if len(report.Origins) == 0 {
		return nil, report, fmt.Errorf("select: %w: %d values leave no origin for MinTrain=%d and Horizon=%d", ErrTooShort, len(y), o.MinTrain, o.Horizon)
	}

	report.Scores = make([]Score, len(candidates))
	for i, c := range candidates {
		report.Scores[i] = backtest(y, c, report.Origins, o)
	}
	order := rank(report.Scores, o.Level)
	if len(order) == 0 {
		var errs []error
		for _, s := range report.Scores {
			if s.Err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", s.Model, s.Err))
			}
		}
		if len(errs) == 0 {
			return nil, report, fmt.Errorf("select: %w: every actual in the backtest horizons is missing", ErrTooShort)
		}
		return nil, report, fmt.Errorf("select: no candidate could be backtested: %w", errors.Join(errs...))
	}
	var errs []error
	for _, i := range order {
		if err := candidates[i].Fit(y); err != nil {
			errs = append(errs, fmt.Errorf("refit %s: %w", candidates[i].Name(), err))
			continue
		}
		report.Best = i
		return candidates[i], report, nil
	}
	return nil, report, fmt.Errorf("select: %w", errors.Join(errs...))
}

func backtest(y []float64, m Model, origins []int, o BacktestOptions) Score {
	sc := Score{Model: m.Name(), MASE: math.NaN(), MAE: math.NaN(), Coverage: math.NaN()}
	var absSum, maseSum float64
	var inside, maseN int
	actual := make([]float64, o.Horizon)
	mean := make([]float64, o.Horizon)
	for _, t := range origins {
		if err := m.Fit(y[:t]); err != nil {
			sc.Err = fmt.Errorf("origin %d: %w", t, err)
			sc.Actuals = 0
			return sc
		}
		preds := m.Forecast(o.Horizon, o.Level)
		copy(actual, y[t:t+o.Horizon])
		for j, p := range preds {
			mean[j] = p.Mean
			a := actual[j]
			if math.IsNaN(a) {
				continue
			}
			sc.Actuals++
			absSum += math.Abs(a - p.Mean)
			if a >= p.Lower && a <= p.Upper {
				inside++
			}
		}
		if v := MASE(actual, mean, y[:t], o.Period); finite(v) {
			maseSum += v
			maseN++
		}
	}
	if sc.Actuals > 0 {
		sc.MAE = absSum / float64(sc.Actuals)
		sc.Coverage = float64(inside) / float64(sc.Actuals)
	}
	if maseN > 0 {
		sc.MASE = maseSum / float64(maseN)
	}
	return sc
}

// rank returns the indexes of eligible scores, best first.
func rank(scores []Score, level float64) []int {
	key := func(v float64) float64 {
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		return v
	}
	less := func(a, b Score) bool {
		if x, y := key(a.MASE), key(b.MASE); x != y {
			return x < y
		}
		if x, y := key(a.MAE), key(b.MAE); x != y {
			return x < y
		}
		return key(math.Abs(a.Coverage-level)) < key(math.Abs(b.Coverage-level))
	}
	var order []int
	for i, s := range scores {
		if s.Err != nil || s.Actuals == 0 {
			continue
		}
		// Insertion keeps candidate order among equals.
		k := len(order)
		order = append(order, i)
		for k > 0 && less(s, scores[order[k-1]]) {
			order[k] = order[k-1]
			k--
		}
		order[k] = i
	}
	return order
}

// MASE is the mean absolute scaled error of forecast against actual
// (Hyndman & Koehler 2006): the mean absolute error divided by the in-sample
// mean absolute error of the seasonal naive forecast on train,
//
//	(1/(n−m)) Σ_{t=m+1..n} |train_t − train_{t−m}|,
//
// with m ≤ 1 meaning the one-step naive forecast. Below 1, the forecast beats
// the naive method's typical in-sample error.
//
// Pairs where actual or forecast is not finite are skipped, as are train
// differences with a NaN end; extra elements of the longer of actual and
// forecast are ignored. The result is NaN when nothing is left to score or
// to scale by, and +Inf when the scale is 0 (a flat train) and some error is
// not.
func MASE(actual, forecast, train []float64, m int) float64 {
	m = max(m, 1)
	var scale float64
	var ns int
	for t := m; t < len(train); t++ {
		if d := train[t] - train[t-m]; finite(d) {
			scale += math.Abs(d)
			ns++
		}
	}
	var mae float64
	var ne int
	for i := range min(len(actual), len(forecast)) {
		if d := actual[i] - forecast[i]; finite(actual[i], forecast[i], d) {
			mae += math.Abs(d)
			ne++
		}
	}
	if ns == 0 || ne == 0 {
		return math.NaN()
	}
	scale /= float64(ns)
	mae /= float64(ne)
	if scale == 0 {
		if mae == 0 {
			return math.NaN()
		}
		return math.Inf(1)
	}
	return mae / scale
}
