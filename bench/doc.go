// Package bench compares Lading's download engine with the tools people
// would otherwise use: curl with md5sum, aria2c, and grab on its own. It
// holds only benchmarks, which `make bench` runs once each on loopback and
// summarises in one table (see docs/benchmarks.md):
//
//	go test -tags migrated_fynedo -run '^$' -bench . -benchtime 1x ./bench/...
//
// Each comparison runs every tool a few times in alternating order and
// reports medians of wall time, CPU time (user plus system, from the child
// process's rusage) and peak resident memory. `make test` compiles these
// benchmarks but never runs them.
package bench
