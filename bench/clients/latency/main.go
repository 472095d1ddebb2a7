// Command latency measures publish→deliver latency in open loop, independently
// of the bench's Node load generator: message i is due at start + i/rate whether
// or not earlier publishes were acknowledged, its body carries i and its
// intended send time, and a live subscriber on the same subject records
// delivery time − intended send time. A stalled sender therefore shows up as
// latency (no coordinated omission). Prints one JSON object on stdout.
//
//	latency -mode herald|nats -address 127.0.0.1:PORT -subject S -rate 1000 -duration 20s
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// version is the hash of this client's source, stamped by the bench's build
// (bench/clients/build.ts), which keys its cache by it.
var version = "dev"

// header is the bytes every body starts with: the sequence number and the
// intended send time (Unix nanoseconds).
const header = 16

type options struct {
	mode        string
	address     string
	subject     string
	rate        int
	duration    time.Duration
	bodyBytes   int
	connections int
	maxInFlight int
	drain       time.Duration
}

// result is what the bench parses (bench/clients/latency-client.ts).
type result struct {
	Mode           string  `json:"mode"`
	OfferedRate    int     `json:"offeredRate"`
	AchievedRate   float64 `json:"achievedRate"`
	DurationMs     float64 `json:"durationMs"`
	BodyBytes      int     `json:"bodyBytes"`
	Sent           int     `json:"sent"`
	Delivered      int     `json:"delivered"`
	PublishErrors  int64   `json:"publishErrors"`
	FirstError     string  `json:"firstError,omitempty"`
	Missing        int     `json:"missing"`
	P50Ms          float64 `json:"p50Ms"`
	P90Ms          float64 `json:"p90Ms"`
	P99Ms          float64 `json:"p99Ms"`
	P999Ms         float64 `json:"p999Ms"`
	MaxMs          float64 `json:"maxMs"`
	ClientCPUMs    float64 `json:"clientCpuMs"`
	ClientCPUUsPer float64 `json:"clientCpuUsPerMessage"`
}

// transport is one broker's publish and live subscription.
type transport interface {
	// subscribe returns once the subscription is registered, so later publishes reach it.
	subscribe(ctx context.Context, subject string, deliver func(body []byte)) error
	publish(ctx context.Context, connection int, subject string, body []byte) error
	close()
}

func main() {
	var o options
	flag.StringVar(&o.mode, "mode", "herald", "herald (gRPC broker.proto) or nats (core NATS)")
	flag.StringVar(&o.address, "address", "127.0.0.1:50051", "host:port of the server")
	flag.StringVar(&o.subject, "subject", "bench.latency", "subject to publish to and subscribe on")
	flag.IntVar(&o.rate, "rate", 1000, "offered messages per second")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long messages are offered")
	flag.IntVar(&o.bodyBytes, "body", 128, "body size in bytes (at least 16)")
	flag.IntVar(&o.connections, "connections", 4, "publishing connections")
	flag.IntVar(&o.maxInFlight, "max-in-flight", 10000, "outstanding publishes at most; past it sending waits, and the wait counts as latency")
	flag.DurationVar(&o.drain, "drain", 5*time.Second, "how long to wait for the last deliveries")
	printVersion := flag.Bool("version", false, "print the source hash this binary was built from")
	flag.Parse()
	if *printVersion {
		fmt.Println(version)
		return
	}
	if err := validate(o); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(2)
	}
	r, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

func validate(o options) error {
	switch {
	case o.mode != "herald" && o.mode != "nats":
		return fmt.Errorf("-mode %q: want herald or nats", o.mode)
	case o.rate < 1 || o.rate > 1_000_000:
		return errors.New("-rate must be within 1..1000000")
	case o.duration <= 0 || o.duration > 10*time.Minute:
		return errors.New("-duration must be within (0, 10m]")
	case o.bodyBytes < header:
		return fmt.Errorf("-body must be at least %d", header)
	case o.connections < 1 || o.connections > 256:
		return errors.New("-connections must be within 1..256")
	case o.maxInFlight < 1:
		return errors.New("-max-in-flight must be positive")
	}
	return nil
}

func dial(o options) (transport, error) {
	if o.mode == "nats" {
		return dialNats(o.address, o.connections)
	}
	return dialHerald(o.address, o.connections)
}

func run(o options) (result, error) {
	t, err := dial(o)
	if err != nil {
		return result{}, err
	}
	defer t.close()
	total := int(int64(o.rate) * o.duration.Milliseconds() / 1000)
	if total < 1 {
		total = 1
	}
	interval := time.Second / time.Duration(o.rate)
	rec := newRecorder(total)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := t.subscribe(ctx, o.subject, rec.deliver); err != nil {
		return result{}, fmt.Errorf("subscribe: %w", err)
	}

	var errorsSeen atomic.Int64
	var firstError atomic.Value
	slots := make(chan struct{}, o.maxInFlight)
	var publishes sync.WaitGroup
	start := time.Now()
	for seq := 0; seq < total; seq++ {
		due := start.Add(time.Duration(seq) * interval)
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		slots <- struct{}{}
		body := make([]byte, o.bodyBytes)
		binary.BigEndian.PutUint64(body, uint64(seq))
		binary.BigEndian.PutUint64(body[8:], uint64(due.UnixNano()))
		publishes.Add(1)
		go func(connection int) {
			defer publishes.Done()
			defer func() { <-slots }()
			callCtx, done := context.WithTimeout(ctx, 30*time.Second)
			defer done()
			if err := t.publish(callCtx, connection, o.subject, body); err != nil {
				errorsSeen.Add(1)
				firstError.CompareAndSwap(nil, err.Error())
			}
		}(seq % o.connections)
	}
	sendEnd := time.Now()
	publishes.Wait()
	rec.waitAll(o.drain)
	latencies, delivered := rec.finish(start, interval)
	cpuMs := ownCPUMs()
	sendSeconds := sendEnd.Sub(start).Seconds()
	r := result{
		Mode:           o.mode,
		OfferedRate:    o.rate,
		AchievedRate:   float64(total) / max(sendSeconds, 1e-9),
		DurationMs:     float64(o.duration.Milliseconds()),
		BodyBytes:      o.bodyBytes,
		Sent:           total,
		Delivered:      delivered,
		PublishErrors:  errorsSeen.Load(),
		Missing:        total - delivered,
		P50Ms:          percentile(latencies, 50),
		P90Ms:          percentile(latencies, 90),
		P99Ms:          percentile(latencies, 99),
		P999Ms:         percentile(latencies, 99.9),
		MaxMs:          percentile(latencies, 100),
		ClientCPUMs:    cpuMs,
		ClientCPUUsPer: cpuMs * 1000 / float64(total),
	}
	if first, ok := firstError.Load().(string); ok {
		r.FirstError = first
	}
	return r, nil
}

// recorder keeps each message's latency (delivery − the intended send time its
// body carries), the first delivery per sequence number.
type recorder struct {
	mu        sync.Mutex
	latencyNs []int64
	seen      []bool
	count     int
	all       chan struct{}
}

func newRecorder(total int) *recorder {
	return &recorder{latencyNs: make([]int64, total), seen: make([]bool, total), all: make(chan struct{})}
}

func (r *recorder) deliver(body []byte) {
	now := time.Now().UnixNano()
	if len(body) < header {
		return
	}
	seq := binary.BigEndian.Uint64(body)
	intended := int64(binary.BigEndian.Uint64(body[8:]))
	r.mu.Lock()
	defer r.mu.Unlock()
	if seq >= uint64(len(r.seen)) || r.seen[seq] {
		return
	}
	r.seen[seq] = true
	r.latencyNs[seq] = now - intended
	r.count++
	if r.count == len(r.seen) {
		close(r.all)
	}
}

func (r *recorder) waitAll(drain time.Duration) {
	select {
	case <-r.all:
	case <-time.After(drain):
	}
}

// finish returns every message's latency in ms, sorted; an undelivered one counts until now.
func (r *recorder) finish(start time.Time, interval time.Duration) ([]float64, int) {
	now := time.Now().UnixNano()
	r.mu.Lock()
	defer r.mu.Unlock()
	latencies := make([]float64, len(r.seen))
	for seq, ns := range r.latencyNs {
		if !r.seen[seq] {
			ns = now - start.Add(time.Duration(seq)*interval).UnixNano()
		}
		latencies[seq] = float64(ns) / 1e6
	}
	sort.Float64s(latencies)
	return latencies, r.count
}

// percentile of sorted values, nearest rank.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.5) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// ownCPUMs is this process's user + system CPU so far.
func ownCPUMs() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return -1
	}
	ms := func(t syscall.Timeval) float64 { return float64(t.Sec)*1000 + float64(t.Usec)/1000 }
	return ms(usage.Utime) + ms(usage.Stime)
}
