#!/usr/bin/env python3
# Short HTTP connections per second against 127.0.0.1:PORT for SECS seconds from THREADS threads: each connects,
# sends one request, reads to EOF, closes. Prints "CONNS_PER_SECOND ERRORS", and with the word "latency" among
# the extra arguments "CONNS_PER_SECOND ERRORS P50_MS P99_MS" (connect to end of response, successful connections
# only). A number among the extra arguments (TOTAL) stops after that many connections (hack/soak.sh counts, it
# does not time). Used by the benchmarks and the soak in hack/.
#   conns.py PORT SECS THREADS [TOTAL] [latency]
import itertools, socket, sys, threading, time
port, secs, threads = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
extra = sys.argv[4:]
latency = "latency" in extra
total = next((int(a) for a in extra if a.isdigit()), None)
tickets = itertools.count()
req = b"GET / HTTP/1.0\r\nHost: bench\r\n\r\n"
counts, errors, stop = [0] * threads, [0] * threads, time.monotonic() + secs
times = [[] for _ in range(threads)]
def work(i):
    while time.monotonic() < stop and (total is None or next(tickets) < total):
        t0 = time.monotonic()
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(req)
            got = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
            s.close()
            if b" 200 " in got.split(b"\r\n", 1)[0]:
                counts[i] += 1
                times[i].append(time.monotonic() - t0)
            else:
                errors[i] += 1
        except OSError:
            errors[i] += 1
ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
[t.start() for t in ts]
[t.join() for t in ts]
elapsed = secs if total is None else min(secs, time.monotonic() - (stop - secs))
rate = sum(counts) / elapsed
if latency:
    all_times = sorted(t for ts_ in times for t in ts_) or [0.0]
    pct = lambda p: all_times[min(len(all_times) - 1, int(len(all_times) * p))] * 1000
    print("%.0f %d %.2f %.2f" % (rate, sum(errors), pct(0.50), pct(0.99)))
else:
    print("%.0f %d" % (rate, sum(errors)))
