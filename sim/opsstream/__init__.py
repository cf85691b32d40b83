"""The 10-minute operations stream (seed 001): named statistics per district per window,
written as a long Parquet time series, and the abnormal-event monitor."""
