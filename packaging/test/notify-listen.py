#!/usr/bin/env python3
"""Stands in for systemd's notification socket: binds a datagram socket at PATH, writable by the
daemon's user, and prints every line of every message it receives (READY=1, STATUS=..., WATCHDOG=1,
RELOADING=1, STOPPING=1) on standard output as it arrives, until it is killed.

Usage: notify-listen.py PATH
"""
import os
import socket
import sys

path = sys.argv[1]
listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
listener.bind(path)
os.chmod(path, 0o666)
print("LISTENING", flush=True)
while True:
    message = listener.recv(4096).decode("utf-8", "replace")
    for line in message.splitlines():
        print(line, flush=True)
