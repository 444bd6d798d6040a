#!/usr/bin/python3
"""The reference side of bench/bus: the same call and cast pattern with upstream
oslo.messaging (Debian's python3-oslo.messaging) on the same broker, with its defaults.

  oslo-bench.py server URL EXCHANGE TOPIC          serves echo/work/count until killed
  oslo-bench.py client URL EXCHANGE TOPIC SPEC     SPEC: JSON list of {"op", "c", "n"}

The client prints one JSON line per cell: op, c, n, seconds, p50_ms, p99_ms, rss_kib.
"""
import json
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from oslo_config import cfg
import oslo_messaging as messaging


def transport(url, exchange):
    # NOTE: the global CONF, as services use it: oslo.messaging registers some of its
    # option groups (metrics) there only.
    conf = cfg.CONF
    conf([], project='cloudlet-bench')
    messaging.set_transport_defaults(exchange)
    t = messaging.get_rpc_transport(conf, url=url)
    # Only so the reply queue a killed run leaves behind expires in a minute, not 30.
    conf.set_override('rabbit_transient_queues_ttl', 60, group='oslo_messaging_rabbit')
    return t, conf


class Endpoint:
    target = messaging.Target(version='1.0')

    def __init__(self):
        self.handled = 0
        self.lock = threading.Lock()

    def echo(self, ctxt, n):
        return n

    def work(self, ctxt, n):
        with self.lock:
            self.handled += 1

    def count(self, ctxt):
        return self.handled


def serve(url, exchange, topic):
    t, _ = transport(url, exchange)
    target = messaging.Target(topic=topic, server='bench')
    # NOTE: 'threading' is the executor a non-eventlet service uses; the pool size is
    # oslo's default (executor_thread_pool_size = 64).
    server = messaging.get_rpc_server(t, target, [Endpoint()], executor='threading')
    server.start()
    print('ready', flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    i = min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values) - 1))))
    return sorted_values[i]


def client(url, exchange, topic, spec):
    t, _ = transport(url, exchange)
    rpc = messaging.RPCClient(t, messaging.Target(topic=topic, version='1.0'), timeout=60)
    rpc.call({}, 'echo', n=0)  # warm up: reply queue, connections
    for cell in json.loads(spec):
        op, c, n = cell['op'], cell['c'], cell['n']
        latencies = []
        lock = threading.Lock()
        counter = iter(range(n))
        base = rpc.call({}, 'count')

        def one_worker():
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                t0 = time.perf_counter()
                if op == 'call':
                    assert rpc.call({}, 'echo', n=i) == i
                else:
                    rpc.cast({}, 'work', n=i)
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=c) as pool:
            for f in [pool.submit(one_worker) for _ in range(c)]:
                f.result()
        if op == 'cast':
            # A cast counts once its server handled it.
            while rpc.call({}, 'count') - base < n:
                time.sleep(0.005)
        seconds = time.perf_counter() - start
        latencies.sort()
        print(json.dumps({
            'op': op, 'c': c, 'n': n, 'seconds': seconds,
            'p50_ms': percentile(latencies, 50) * 1000,
            'p99_ms': percentile(latencies, 99) * 1000,
            'rss_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }), flush=True)
    t.cleanup()


if __name__ == '__main__':
    mode, url, exchange, topic = sys.argv[1:5]
    if mode == 'server':
        serve(url, exchange, topic)
    else:
        client(url, exchange, topic, sys.argv[5])
