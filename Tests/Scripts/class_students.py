#!/usr/bin/env python3
"""Simulated students and hostile clients for the classroom hub's tests.

  class_students.py students HOST PORT CODE COUNT FIRST [STAY [STEP]]
                                                           COUNT students, numbered from FIRST,
                                                           who stay STAY seconds (default 0) on
                                                           step STEP (default 3)
  class_students.py watch HOST PORT CODE                   print the hub's summary once
  class_students.py hostile HOST PORT CODE                 garbage, a 10 MB line, a wrong code,
                                                           a slow sender, then 1,000 idle connections

Each student says hello, reports lesson "net" step 3 (or STEP), and answers its prediction with
str(n % 4) (right when it is "0"), twice with the same id as a lab does after a reconnection;
it prints how many distinct answers were acknowledged. Every loop is bounded in count and time.
"""
import json
import socket
import sys
import time


def line(message):
    message["v"] = 1
    return (json.dumps(message) + "\n").encode()


PENDING = {}


def read_lines(sock, want, seconds):
    """Lines from sock until want(line) is true or seconds pass; what arrived after that line
    is kept for the next call."""
    sock.settimeout(0.2)
    deadline = time.time() + seconds
    pending = PENDING.pop(sock.fileno(), b"")
    while True:
        while b"\n" in pending:
            text, pending = pending.split(b"\n", 1)
            message = json.loads(text)
            if want(message):
                PENDING[sock.fileno()] = pending
                return message
        if time.time() >= deadline:
            return None
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return None
        if not chunk:
            return None
        pending += chunk


def students(host, port, code, count, first, stay, step):
    socks = []
    for n in range(first, first + count):
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(line({"type": "hello", "name": "student-%d" % n, "code": code}))
        socks.append((n, s))
    acked = 0
    for n, s in socks:
        if read_lines(s, lambda m: m["type"] == "welcome", 10) is None:
            continue
        answer = {"type": "answer", "id": 1, "lesson": "net", "step": step, "answer": str(n % 4), "right": n % 4 == 0}
        s.sendall(line({"type": "position", "lesson": "net", "step": step, "steps": 9}) + line(answer) + line(answer))
    for n, s in socks:
        acks = 0
        while acks < 2 and read_lines(s, lambda m: m["type"] == "ack", 10) is not None:
            acks += 1
        acked += 1 if acks == 2 else 0
    print(json.dumps({"acked": acked}), flush=True)
    # Stay until the hub's summary has been read, then leave.
    time.sleep(stay)
    for _, s in socks:
        s.close()


def watch(host, port, code):
    """The hub's summary. A hub still holding a flood's idle connections refuses new ones
    until it has seen them close, so this tries again for up to 5 s, as a reader would."""
    deadline = time.time() + 5
    while True:
        try:
            s = socket.create_connection((host, port), timeout=10)
            s.sendall(line({"type": "watch", "code": code}))
            summary = read_lines(s, lambda m: m.get("type") == "class", 10)
        except OSError:
            summary = None
        if summary is not None or time.time() > deadline:
            break
        time.sleep(0.1)
    print(json.dumps(summary), flush=True)


def hostile(host, port, code):
    results = {}
    # Garbage: not JSON.
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"\x00\xffGET / HTTP/1.1\r\n\r\n")
    results["garbage"] = read_lines(s, lambda m: True, 3) is None
    # A 10 MB line: the hub hangs up long before it ends.
    s = socket.create_connection((host, port), timeout=10)
    sent = 0
    try:
        while sent < 10 * 1024 * 1024:
            s.sendall(b"x" * 65536)
            sent += 65536
    except OSError:
        pass
    results["long line cut at"] = sent
    # A wrong code.
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(line({"type": "hello", "name": "mallory", "code": "NOPE"}))
    error = read_lines(s, lambda m: m["type"] == "error", 5)
    results["wrong code"] = error["reason"] if error else None
    # A slow sender: a byte every 0.3 s, never a whole line, for at most 8 s.
    slow = socket.create_connection((host, port), timeout=10)
    started = time.time()
    cut = None
    while time.time() - started < 8:
        try:
            slow.sendall(b"{")
            slow.settimeout(0.3)
            if slow.recv(1) == b"":
                cut = time.time() - started
                break
        except socket.timeout:
            continue
        except OSError:
            cut = time.time() - started
            break
    results["slow sender cut after"] = cut
    # 1,000 connections that never say hello.
    idle = []
    for _ in range(1000):
        try:
            idle.append(socket.create_connection((host, port), timeout=5))
        except OSError:
            break
    results["idle opened"] = len(idle)
    for s in idle:
        s.close()
    print(json.dumps(results), flush=True)


if __name__ == "__main__":
    mode, host, port, code = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if mode == "students":
        stay = float(sys.argv[7]) if len(sys.argv) > 7 else 0
        step = int(sys.argv[8]) if len(sys.argv) > 8 else 3
        students(host, port, code, int(sys.argv[5]), int(sys.argv[6]), stay, step)
    elif mode == "watch":
        watch(host, port, code)
    else:
        hostile(host, port, code)
