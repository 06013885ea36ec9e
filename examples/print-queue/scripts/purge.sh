#!/bin/sh
# The purge button: see lib/printqueue.py.
exec python3 "$(dirname "$0")/lib/printqueue.py" purge
