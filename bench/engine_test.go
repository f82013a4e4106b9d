//go:build linux

package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

// BenchmarkEngine1GiB runs the download engine in this process on a 1 GiB
// file, for profiling with -cpuprofile; it is not part of the table.
func BenchmarkEngine1GiB(b *testing.B) {
	dir, src := engineSource(b)
	srv := newFileServer(dir)
	defer srv.Close()
	b.SetBytes(bigSize)
	b.StopTimer()
	for i := range b.N {
		st, err := store.Open(context.Background(), filepath.Join(dir, "lading.db"))
		if err != nil {
			b.Fatal(err)
		}
		m := downloader.New(st, downloader.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		dest := filepath.Join(dir, "out", "big.bin")
		syncAll()
		b.StartTimer()
		t, err := m.Add(ctx, downloader.Spec{DestPath: dest, MD5: src.md5, Size: -1,
			URL: srv.url("big.bin")})
		if err == nil {
			err = m.Wait(ctx, t.ID)
		}
		b.StopTimer()
		cancel()
		<-done
		st.Close()
		if err != nil {
			b.Fatal(err)
		}
		(&bench{}).clean(dest, filepath.Join(dir, "lading.db"))
		_ = i
	}
}

// engineSource makes the 1 GiB source once per process.
var engineSource = func() func(b *testing.B) (string, source) {
	var dir string
	var src source
	var err error
	var once sync.Once
	return func(b *testing.B) (string, source) {
		once.Do(func() {
			dir, err = os.MkdirTemp("/var/tmp", "lading-engine-")
			if err == nil {
				src, err = makeSource(filepath.Join(dir, "big.bin"), bigSize)
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {}) // the folder goes with the process's temp files
		return dir, src
	}
}()

// BenchmarkEngineSmall runs the engine in this process on 500 small files
// with 8 workers, for profiling with -cpuprofile; not part of the table.
func BenchmarkEngineSmall(b *testing.B) {
	dir := scratch(b)
	var specs []downloader.Spec
	srv := newFileServer(dir)
	defer srv.Close()
	for i := range manyFiles {
		name := fmt.Sprintf("f%03d.bin", i)
		src, err := makeSource(filepath.Join(dir, name), int64(smallMin+i*113%(smallMax-smallMin)))
		if err != nil {
			b.Fatal(err)
		}
		specs = append(specs, downloader.Spec{MD5: src.md5, Size: src.size, URL: srv.url(name),
			DestPath: filepath.Join(dir, "out", fmt.Sprint(i/2), name)})
	}
	b.StopTimer()
	for range b.N {
		os.RemoveAll(filepath.Join(dir, "out"))
		os.Remove(filepath.Join(dir, "lading.db"))
		st, err := store.Open(context.Background(), filepath.Join(dir, "lading.db"))
		if err != nil {
			b.Fatal(err)
		}
		m := downloader.New(st, downloader.Options{Workers: workers})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		syncAll()
		b.StartTimer()
		var ids []int64
		for _, s := range specs {
			t, err := m.Add(ctx, s)
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, t.ID)
		}
		err = m.Wait(ctx, ids...)
		b.StopTimer()
		cancel()
		<-done
		st.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}
