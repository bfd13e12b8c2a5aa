"""The bench's receiver (bench/webhooks.py) is the judge of "none lost": every request it
acknowledged must be in what it wrote down. It used to answer 204 first and write down after,
and a keep-alive connection's thread outlives the server's last flush: stopped under load, it
acknowledged deliveries it never recorded (the worker rightly marked them delivered; the bench
counted them lost: "1 of 5,000 never arrived")."""

from __future__ import annotations

import http.client
import json
import threading
import time

from bench.webhooks import Receiver


def _acknowledged_while_stopping(receiver: Receiver) -> list[int]:
    acked: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def sender(k: int) -> None:
        seq = k * 1_000_000
        while not stop.is_set():
            try:
                conn = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=2)
                while not stop.is_set():  # one kept-alive connection, as the worker's pool does
                    body = json.dumps({"data": {"seq": seq, "committed_at": time.time()}})
                    conn.request("POST", "/hooks", body=body, headers={"webhook-id": f"m{seq}"})
                    response = conn.getresponse()
                    response.read()
                    if 200 <= response.status < 300:
                        with lock:
                            acked.append(seq)
                    seq += 1
            except (OSError, http.client.HTTPException):
                time.sleep(0.01)  # stopped: the connection is cut or refused

    threads = [threading.Thread(target=sender, args=(k,), daemon=True) for k in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # traffic on every connection
    receiver.stop()
    stop.set()
    for thread in threads:
        thread.join(5)
    return acked


def test_the_bench_receiver_records_every_request_it_acknowledged_even_when_stopped_under_load():
    for _trial in range(8):  # the window is short: a few stops under load find it
        receiver = Receiver()
        try:
            acked = _acknowledged_while_stopping(receiver)
        finally:
            receiver.stop()
        recorded = receiver.arrivals()
        assert acked
        assert [seq for seq in acked if seq not in recorded] == []
