"""What an operator watches: request log lines, Prometheus metrics, traces."""
