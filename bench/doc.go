// Package bench compares Lading's download engine with the tools people
// would otherwise use: curl with md5sum, aria2c, and grab on its own. It
// holds only benchmarks, which `make bench` runs once each on loopback and
// summarises in one table (see docs/benchmarks.md):
//
//	go test -tags migrated_fynedo -run '^$' -bench . -benchtime 1x ./bench/...
//
// Each comparison runs every tool five times (BENCH_ROUNDS) in rotating
// order, flushing the page cache to disk before every run, and reports
// medians of wall time, CPU time (user plus system, from the child
// process's rusage) and peak resident memory, and the median over rounds of
// lading's time divided by the other tool's. Files live under $BENCH_DIR,
// else /var/tmp, and are removed at the end. BENCH_ONLY="lading|curl -s"
// runs only the tools whose names contain one of the words, for a quick
// look. `make test` compiles these benchmarks but never runs them.
package bench
