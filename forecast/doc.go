// Package forecast holds the pure maths behind predictive alerts: forecasting
// models for a measure's time series, their selection by backtest, the step
// at which a forecast crosses a threshold, control charts that flag a shift
// in a measure, and the SRE multi-window burn-rate rule.
//
// It computes; it does not fetch, store, schedule, log or alert. It reads no
// clock and holds no state beyond the models the caller creates. It uses the
// standard library only, so the maths can be read and tested in isolation.
//
// # Series and missing values
//
// A Series is regularly spaced (daily or hourly, in UTC so that days are
// 24 hours long). The models take the plain values ([]float64, see
// Series.Values) and treat NaN as a missing observation; an infinite value is
// an error (ErrNonFinite). How each model handles NaN:
//
//   - Leading NaNs are ignored: the series starts at its first observation.
//   - Smoothing models (Holt, HoltWinters) predict through an interior gap:
//     the state moves by its one-step forecast and the gap adds nothing to the
//     squared error, as a Kalman filter does for a missing observation.
//   - Linear leaves missing points out of the regression but keeps the time
//     index, so a gap does not bend the trend.
//   - Naive and SeasonalNaive use the latest observed value (of the same
//     season); a residual spanning j steps (periods) is divided by √j, its
//     standard deviation under a random walk, before estimating σ.
//   - Trailing NaNs keep the forecast origin at the end of the series, so
//     step 1 is always the period after the last element; intervals widen as
//     if the horizon were longer by the number of trailing NaNs, since
//     nothing has been observed since.
//
// # Prediction intervals
//
// Intervals are at a central level in (0, 1), such as 0.95; any other level
// gives NaN bounds. Linear uses Student's t with n−2 degrees of freedom (the
// textbook OLS prediction interval); the other models use the normal
// quantile with the analytic h-step variance from Hyndman & Athanasopoulos,
// Forecasting: Principles and Practice, 3rd ed. (FPP3), §5.5 and §8.7.
//
// # Concurrency
//
// A Model holds its fitted state: fit and forecast from one goroutine, or use
// one model value per goroutine. The functions are safe for concurrent use.
package forecast
