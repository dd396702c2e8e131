module friendgate.dev/bench/gohandler

go 1.19
