#!/usr/bin/env python3
# Short HTTP connections per second against 127.0.0.1:PORT for SECS seconds from THREADS threads: each connects,
# sends one request, reads to EOF, closes. Prints "CONNS_PER_SECOND ERRORS". Used by the benchmarks in hack/.
# An optional fourth argument TOTAL stops after that many connections (hack/soak.sh counts, it does not time).
import itertools, socket, sys, threading, time
port, secs, threads = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
total = int(sys.argv[4]) if len(sys.argv) > 4 else None
tickets = itertools.count()
req = b"GET / HTTP/1.0\r\nHost: bench\r\n\r\n"
counts, errors, stop = [0] * threads, [0] * threads, time.monotonic() + secs
def work(i):
    while time.monotonic() < stop and (total is None or next(tickets) < total):
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
            else:
                errors[i] += 1
        except OSError:
            errors[i] += 1
ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
[t.start() for t in ts]
[t.join() for t in ts]
elapsed = secs if total is None else min(secs, time.monotonic() - (stop - secs))
print("%.0f %d" % (sum(counts) / elapsed, sum(errors)))
